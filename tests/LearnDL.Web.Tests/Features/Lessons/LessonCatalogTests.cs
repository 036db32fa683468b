using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Tests.RunService;

namespace LearnDL.Web.Tests;

/// <summary>The course's files: each parses, says what it must, and every preset and picture it names exists.</summary>
public class LessonCatalogTests
{
    private static readonly LessonCatalog Repository = new(Path.Combine(AppContext.BaseDirectory, "lessons"));

    private const string Valid = """
        ---
        slug: demo
        title: Demo
        order: 1
        summary: A demo.
        goals: [Learn one thing.]
        recap: [You learned it.]
        figures:
          - name: pic
            file: x.svg
            alt: "A picture: of x."
            caption: It shows x.
        presets:
          - name: quick
            label: a quick run
            images: 24
            epochs: 1
            device: auto
        questions:
          - id: q1
            text: Which?
            answers:
              - text: This one.
                correct: true
                why: Because.
              - text: That one.
                why: Because not.
        ---
        ## Before

        {{figure pic}}

        {{try-it quick}}

        {{demo parallel-work}}

        After.

        {{check q1}}
        """;

    private static Lesson ParseText(TempFolder temp, string text, string name = "x.md")
    {
        var path = Path.Combine(temp.Path, name);
        File.WriteAllText(path, text);
        return LessonParser.Parse(path);
    }

    [Fact]
    public void Parse_EveryBlockKind_InReadingOrder()
    {
        using var temp = new TempFolder();
        var lesson = ParseText(temp, Valid);
        Assert.Equal(("demo", "Demo", 1, "A demo."), (lesson.Slug, lesson.Title, lesson.Order, lesson.Summary));
        Assert.Equal(["Learn one thing."], lesson.Goals);
        Assert.Equal([typeof(ProseBlock), typeof(FigureBlock), typeof(TryItBlock), typeof(DemoBlock), typeof(ProseBlock), typeof(CheckBlock)],
            lesson.Blocks.Select(b => b.GetType()));
        Assert.Equal("/content/x.svg", ((FigureBlock)lesson.Blocks[1]).Figure.Url);
        var request = ((TryItBlock)lesson.Blocks[2]).Preset.ToRequest();
        Assert.True(request.Shared); // a class pressing the same Try-it watches one run
        Assert.Equal(2, lesson.ProseWords); // "Before" and "After."
    }

    [Theory]
    [InlineData("{{figure pic}}", "{{figure nope}}", "x.md line 31: figure 'nope' is not defined")]
    [InlineData("{{demo parallel-work}}", "{{demo fireworks}}", "demo 'fireworks' is not defined (demonstrations:")]
    [InlineData("{{check q1}}", "{{check q9}}", "check 'q9' is not defined")]
    [InlineData("        why: Because not.", "        why: Because not.\n        correct: true", "needs at least two answers, exactly one correct")]
    [InlineData("title: Demo", "title: Demo\ncolour: red", "front matter is not valid at line")]
    public void Parse_AMistake_SaysWhichFileAndWhat(string good, string bad, string message)
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<InvalidDataException>(() => ParseText(temp, Valid.Replace(good, bad)));
        Assert.Contains(message, error.Message);
        Assert.Contains("x.md", error.Message);
    }

    [Fact]
    public void Catalog_RefusesDuplicateSlugsAndGapsInOrder()
    {
        using var temp = new TempFolder();
        File.WriteAllText(Path.Combine(temp.Path, "a.md"), Valid);
        File.WriteAllText(Path.Combine(temp.Path, "b.md"), Valid.Replace("order: 1", "order: 3").Replace("slug: demo", "slug: other"));
        Assert.Contains("without gaps; found 1, 3", Assert.Throws<InvalidDataException>(() => new LessonCatalog(temp.Path).All).Message);
        File.WriteAllText(Path.Combine(temp.Path, "b.md"), Valid.Replace("order: 1", "order: 2"));
        Assert.Contains("Two lessons have the slug 'demo'", Assert.Throws<InvalidDataException>(() => new LessonCatalog(temp.Path).All).Message);
    }

    [Fact]
    public void Repository_HasTheNineLessonsInOrder()
    {
        Assert.Equal(
            ["cpu-and-gpu", "sequential-and-parallel", "one-training-step", "transfer-learning", "do-you-need-a-gpu",
             "same-script-cpu-or-gpu-build", "replaying-the-experiment", "where-to-get-a-gpu", "memory-batch-and-precision"],
            Repository.All.Select(l => l.Slug));
        Assert.Equal(Enumerable.Range(1, 9), Repository.All.Select(l => l.Order));
        var (previous, next) = Repository.Neighbours(Repository.Find("transfer-learning")!);
        Assert.Equal(("one-training-step", "do-you-need-a-gpu"), (previous!.Slug, next!.Slug));
    }

    public static TheoryData<string> Slugs => new(Repository.All.Select(l => l.Slug));

    [Theory]
    [MemberData(nameof(Slugs))]
    public void RepositoryLesson_HasWhatEveryLessonMust(string slug)
    {
        var lesson = Repository.Find(slug)!;
        Assert.NotEmpty(lesson.Goals);
        Assert.NotEmpty(lesson.Recap);
        Assert.InRange(lesson.ProseWords, 600, 1200);
        var figures = lesson.Blocks.OfType<FigureBlock>().Select(b => b.Figure).ToList();
        Assert.NotEmpty(figures);
        Assert.All(figures, f =>
        {
            Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "wwwroot-content", f.File)), $"{f.File} is missing");
            Assert.True(f.Alt.Length > 40, $"{f.File} needs alt text that describes it");
        });
        Assert.Contains(lesson.Blocks, b => b is TryItBlock or DemoBlock);
        var questions = lesson.Questions.ToList();
        Assert.InRange(questions.Count, 2, 4);
        Assert.All(questions, q =>
        {
            Assert.Single(q.Answers, a => a.Correct);
            Assert.All(q.Answers, a => Assert.False(string.IsNullOrWhiteSpace(a.Why)));
        });
    }

    [Fact]
    public async Task RepositoryPresets_AreAllValidRunRequests()
    {
        await using var f = new QueueFixture();
        // The real-photo exercises need Fashion-MNIST: valid where it is installed (as on this kind of
        // machine after apt-get install dataset-fashion-mnist), otherwise refused with how to install it.
        var fashionMnist = File.Exists(Path.Combine(new LearnDL.Training.Datasets.DatasetOptions().FashionMnistFolder, "train-images-idx3-ubyte.gz"));
        var presets = Repository.All.SelectMany(l => l.Blocks.OfType<TryItBlock>()).Select(b => b.Preset).ToList();
        Assert.Contains(presets, p => p.Dataset == "fashion-mnist");
        foreach (var preset in presets)
        {
            var problems = await f.Queue.CheckAsync(preset.ToRequest());
            if (preset.Dataset == "fashion-mnist" && !fashionMnist) Assert.Contains("apt-get install dataset-fashion-mnist", Assert.Single(problems));
            else Assert.Empty(problems);
        }
        // And refused, saying how to install it, where it is not there.
        await using var without = new QueueFixture(o => o.FashionMnistFolder = Path.Combine(Path.GetTempPath(), "no-fashion-mnist-here"));
        Assert.Contains("apt-get install dataset-fashion-mnist", Assert.Single(await without.Queue.CheckAsync(presets.First(p => p.Dataset == "fashion-mnist").ToRequest())));
    }

    [Fact]
    public void Grade_EveryAnswer_SaysRightOrWrongAndWhy()
    {
        var question = Repository.Find("one-training-step")!.Questions.First(q => q.Id == "backward");
        var right = question.Grade(0);
        Assert.True(right.Correct);
        Assert.Contains("two sets of gradients", right.Explanation);
        var wrong = question.Grade(1);
        Assert.False(wrong.Correct);
        Assert.Equal(0, wrong.CorrectAnswer);
        Assert.Contains("twice the forward pass", wrong.Explanation);
        Assert.Throws<ArgumentOutOfRangeException>(() => question.Grade(7));
    }
}

/// <summary>Progress kept in memory: the store a test gives <see cref="LessonProgress"/>.</summary>
public sealed class MemoryProgressStore : IProgressStore
{
    public ProgressState State { get; private set; } = ProgressState.Empty;
    public int Saves { get; private set; }
    public Task<ProgressState> LoadAsync() => Task.FromResult(State);
    public Task SaveAsync(ProgressState state) { State = state; Saves++; return Task.CompletedTask; }
}

public class LessonProgressTests
{
    [Fact]
    public async Task Progress_RemembersLessonsReadAndAnswers_AndSaysWhenItChanges()
    {
        var catalog = new LessonCatalog(Path.Combine(AppContext.BaseDirectory, "lessons"));
        var store = new MemoryProgressStore();
        var progress = new LessonProgress(store);
        var changes = 0;
        progress.Changed += () => changes++;
        var lesson = catalog.Find("transfer-learning")!;

        await progress.MarkReadAsync(lesson);
        await progress.MarkReadAsync(lesson); // once is enough
        Assert.Equal((1, 1), (store.Saves, changes));

        var bottleneck = lesson.Questions.First(q => q.Id == "bottleneck");
        var wrong = await progress.AnswerAsync(lesson, bottleneck, 1);
        Assert.False(wrong.Correct);
        Assert.Equal((1, 0, 3), (await progress.GetAsync()).Checks(lesson));
        await progress.AnswerAsync(lesson, bottleneck, 0);
        await progress.AnswerAsync(lesson, lesson.Questions.First(q => q.Id == "cat"), 0);

        var state = await new LessonProgress(store).GetAsync(); // a later visit reads what was kept
        Assert.True(state.HasRead(lesson));
        Assert.Equal((2, 2, 3), state.Checks(lesson));
        Assert.Equal(0, state.AnswerTo(lesson, bottleneck));
        Assert.Equal(4, changes);
    }

    /// <summary>
    /// On the lesson's page the opening is written after the first render; a click can arrive while it is (the
    /// circuit runs the next event during the await). The answer waits for it, so the class pulse never sees an
    /// answer before the opening; an answer the pulse refuses (lesson not opened) is shown graded but not kept.
    /// </summary>
    [Fact]
    public async Task Progress_AnAnswerWhileTheOpeningIsBeingWritten_WaitsForIt_AndARefusedAnswerIsNotKept()
    {
        var catalog = new LessonCatalog(Path.Combine(AppContext.BaseDirectory, "lessons"));
        var lesson = catalog.Find("transfer-learning")!;
        var bottleneck = lesson.Questions.First(q => q.Id == "bottleneck");
        var activity = new SlowActivity();
        var store = new MemoryProgressStore();
        var progress = new LessonProgress(store, activity);

        var opening = progress.OpenedAsync(lesson);
        var answering = progress.AnswerAsync(lesson, bottleneck, 0);
        Assert.False(answering.IsCompleted);
        Assert.Equal(["opening"], activity.Log);
        activity.Opened.SetResult();
        await opening;
        Assert.True((await answering).Correct);
        Assert.Equal(["opening", "opened", "answered"], activity.Log);
        Assert.Equal(0, store.State.AnswerTo(lesson, bottleneck));

        activity.Refuse = true;
        var other = lesson.Questions.First(q => q.Id == "cat");
        Assert.Equal(0, (await progress.AnswerAsync(lesson, other, 0)).Chosen); // graded for the reader
        Assert.Null(await progress.TryAnswerAsync(lesson, other, 0));
        Assert.Null(store.State.AnswerTo(lesson, other)); // not kept
    }

    private sealed class SlowActivity : ILessonActivity
    {
        public List<string> Log { get; } = [];
        public TaskCompletionSource Opened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Refuse { get; set; }

        public async Task OpenedAsync(Lesson lesson)
        {
            Log.Add("opening");
            await Opened.Task;
            Log.Add("opened");
        }

        public Task<bool> AnsweredAsync(Lesson lesson, CheckQuestion question, CheckOutcome outcome)
        {
            Log.Add("answered");
            return Task.FromResult(!Refuse);
        }
    }
}
