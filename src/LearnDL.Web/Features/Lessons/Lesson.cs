using LearnDL.Training.Runs;
using LearnDL.Training.Compute;
using LearnDL.Training.Precision;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Lessons;

/// <summary>A lesson: its front matter and its body as typed blocks, in reading order.</summary>
public sealed record Lesson(
    string Slug, string Title, int Order, string Summary,
    IReadOnlyList<string> Goals, IReadOnlyList<string> Recap,
    IReadOnlyList<LessonBlock> Blocks)
{
    /// <summary>The works the lesson cites with <c>[[src:ID]]</c>, in the order they are numbered.</summary>
    public IReadOnlyList<LessonSource> Sources { get; init; } = [];

    public IEnumerable<CheckQuestion> Questions => Blocks.OfType<CheckBlock>().Select(b => b.Question);

    /// <summary>Words of prose a reader reads (headings and text, not code or the blocks around them).</summary>
    public int ProseWords => Blocks.OfType<ProseBlock>().Sum(p => p.Words);
}

public abstract record LessonBlock;

/// <summary>
/// Markdown rendered to HTML; citations are already links to the lesson's sources, while
/// <c>[[NAME]]</c> figures (see <see cref="CourseNumbers"/>) are filled in when the page is shown.
/// <paramref name="Markdown"/> is the text as written, for the course's checks.
/// </summary>
public sealed record ProseBlock(string Html, int Words, string Markdown = "") : LessonBlock;

/// <summary>A picture drawn for the lesson, served from /content/.</summary>
public sealed record FigureBlock(LessonFigure Figure) : LessonBlock;

/// <summary>A run the reader can start with one click and watch inline.</summary>
public sealed record TryItBlock(LessonPreset Preset) : LessonBlock;

/// <summary>An interactive demonstration, by name (see <see cref="LessonDemos"/>).</summary>
public sealed record DemoBlock(string Name) : LessonBlock;

/// <summary>A check question.</summary>
public sealed record CheckBlock(CheckQuestion Question) : LessonBlock;

public sealed class LessonFigure
{
    public string Name { get; set; } = "";
    /// <summary>A file in wwwroot-content.</summary>
    public string File { get; set; } = "";
    public string Alt { get; set; } = "";
    public string Caption { get; set; } = "";
    /// <summary>Words the drawing, its alt text and its caption must all contain: they describe one picture.</summary>
    public List<string> Keywords { get; set; } = [];
    public string Url => "/content/" + File;
}

/// <summary>A work a lesson cites: what it is, precisely enough to find it, and where when it is online.</summary>
public sealed class LessonSource
{
    public string Id { get; set; } = "";
    public string Text { get; set; } = "";
    public string Url { get; set; } = "";
}

/// <summary>What a Try-it asks the reader to predict before the run shows it, and which measured figure answers it.</summary>
public sealed class PresetPrediction
{
    public string Question { get; set; } = "";
    /// <summary>What is measured: see <see cref="PredictionMetrics"/>.</summary>
    public string Metric { get; set; } = "";
}

/// <summary>A run a lesson offers to launch with one click.</summary>
public sealed class LessonPreset
{
    private static readonly RunSettings Defaults = new();

    public string Name { get; set; } = "";
    public string Label { get; set; } = "";
    // A key the lesson leaves out takes the one default every run has.
    public string Dataset { get; set; } = Defaults.Dataset;
    public int Images { get; set; } = Defaults.Images;
    public int Epochs { get; set; } = Defaults.Epochs;
    public string Device { get; set; } = Defaults.Device.ToId();
    public int Seed { get; set; } = Defaults.Seed;
    /// <summary>"fp32" or "int8" (INT8 runs on the CPU).</summary>
    public string Precision { get; set; } = Defaults.Precision.ToId();
    /// <summary>A guess the reader commits to before the run answers it (optional).</summary>
    public PresetPrediction? Predict { get; set; }

    /// <summary>Shared: a class pressing the same Try-it watches one run.</summary>
    public RunSettings ToRequest() => new()
    {
        Dataset = Dataset, Images = Images, Epochs = Epochs, Seed = Seed,
        Device = DeviceNames.TryParse(Device, out var d) ? d : DeviceRequest.Auto,
        Precision = NetworkPrecisions.TryParse(Precision, out var p) ? p : NetworkPrecision.Fp32,
        Shared = true,
    };
}

public sealed class CheckAnswer
{
    public string Text { get; set; } = "";
    public bool Correct { get; set; }
    /// <summary>Why this answer is right or wrong: shown whichever is chosen.</summary>
    public string Why { get; set; } = "";
}

public sealed class CheckQuestion
{
    public string Id { get; set; } = "";
    public string Text { get; set; } = "";
    public List<CheckAnswer> Answers { get; set; } = [];

    public CheckOutcome Grade(int answer) =>
        answer < 0 || answer >= Answers.Count
            ? throw new ArgumentOutOfRangeException(nameof(answer), $"Question '{Id}' has {Answers.Count} answers.")
            : new(answer, Answers[answer].Correct, Answers[answer].Why, Answers.FindIndex(a => a.Correct));
}

/// <summary>What choosing an answer tells the reader.</summary>
public sealed record CheckOutcome(int Chosen, bool Correct, string Explanation, int CorrectAnswer);
