using System.Text.RegularExpressions;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Features.Lessons.Demos;

namespace LearnDL.Web.Tests;

/// <summary>
/// Text that follows the live result (issue 24, point 3): every lesson rendered with very different
/// measurements (a slow 2-core server without a GPU, a fast 16-core one with a GPU, and one that has measured
/// nothing yet). A figure this server measures says what this server measured; a figure not measured yet is a
/// button that leads to its measurement, never a phrase in the sentence; sentences produced from a result
/// follow it whichever way it falls.
/// </summary>
public class LiveTextTests
{
    private static readonly LessonCatalog Repository = new(Path.Combine(AppContext.BaseDirectory, "lessons"));
    private static readonly GpuReference Reference = GpuReference.Load(Path.Combine(AppContext.BaseDirectory, "gpu-reference.json"));

    private static MeasuredRun Run(int images, double featurize, double loading, double train) =>
        new(Guid.NewGuid(), "cpu", images, images / 5, 0.9, featurize + train + 1,
            [new("prepare", 1), new("decode", loading * 0.7), new("resize", loading * 0.3), new("featurize", featurize), new("train", train), new("evaluate", 0.2)], Epochs: 5);

    /// <summary>A slow 2-core server with no GPU.</summary>
    public static readonly ServerFigures Slow = new(new MeasuredSpeed("cpu", 8, 3, DateTimeOffset.UtcNow), null, Run(400, 50, 2, 1)) { Cores = 2 };
    /// <summary>A fast 16-core server with a GPU.</summary>
    public static readonly ServerFigures Fast = new(new MeasuredSpeed("cpu", 400, 5, DateTimeOffset.UtcNow), new MeasuredSpeed("gpu", 5000, 2, DateTimeOffset.UtcNow), Run(2000, 5, 0.5, 0.4)) { Cores = 16 };

    private static string Rendered(Lesson lesson, ServerFigures figures) =>
        string.Join("\n", lesson.Blocks.OfType<ProseBlock>().Select(p => new CourseNumbers(Reference, figures).Render(p.Html)));

    private static string Words(string html) => Regex.Replace(html, "<[^>]+>", "");

    public static TheoryData<string> Slugs => new(Repository.All.Select(l => l.Slug));

    [Theory]
    [MemberData(nameof(Slugs))]
    public void EveryLesson_SaysWhatEachServerMeasured(string slug)
    {
        var lesson = Repository.Find(slug)!;
        foreach (var figures in new[] { Slow, Fast })
        {
            var html = Rendered(lesson, figures);
            Assert.DoesNotContain("data-pending", html);
            Assert.DoesNotContain("not measured here", Words(html));
            foreach (var name in CourseNumbers.NamesIn(string.Join("\n", lesson.Blocks.OfType<ProseBlock>().Select(p => p.Markdown))).Distinct())
                Assert.Contains($">{System.Net.WebUtility.HtmlEncode(new CourseNumbers(Reference, figures)[name].Text)}<", html);
        }
        // The live figures differ between the two servers wherever the lesson uses one.
        var names = CourseNumbers.NamesIn(string.Join("\n", lesson.Blocks.OfType<ProseBlock>().Select(p => p.Markdown))).Where(n => n.StartsWith("here.", StringComparison.Ordinal)).Distinct();
        foreach (var name in names)
            Assert.NotEqual(new CourseNumbers(Reference, Slow)[name].Text, new CourseNumbers(Reference, Fast)[name].Text);
    }

    [Theory]
    [MemberData(nameof(Slugs))]
    public void EveryLesson_ShowsAFigureNotMeasuredYet_AsAButtonToItsMeasurement(string slug)
    {
        var lesson = Repository.Find(slug)!;
        var html = Rendered(lesson, ServerFigures.None);
        Assert.DoesNotContain("not measured here yet (", Words(html));
        var buttons = Regex.Matches(html, "<a role=\"button\"[^>]*data-pending=\"yes\"[^>]*aria-label=\"([^\"]*)\">([^<]*)</a>");
        foreach (Match pending in buttons)
        {
            Assert.Equal(CourseNumbers.PendingLabel, pending.Groups[2].Value);
            Assert.StartsWith(CourseNumbers.PendingLabel + ":", pending.Groups[1].Value); // axe: the visible words begin the accessible name
        }
        var pendingNames = CourseNumbers.NamesIn(string.Join("\n", lesson.Blocks.OfType<ProseBlock>().Select(p => p.Markdown)))
            .Where(n => new CourseNumbers(Reference, ServerFigures.None)[n].Pending).ToList();
        Assert.Equal(pendingNames.Count, Regex.Matches(html, "data-pending=\"yes\"").Count);
        Assert.Equal(pendingNames.Count, buttons.Count);
        if (pendingNames.Count > 0)
            Assert.Contains("href=\"/lessons/cpu-and-gpu#try-it-cpu-small\"", html); // where the page has no Try-it, lesson 1's measures it
    }

    [Fact]
    public void LiveCoreCounts_AreTheServers()
    {
        Assert.Equal("2 cores", new CourseNumbers(Reference, Slow)["here.cores"].Text);
        Assert.Equal("16 cores", new CourseNumbers(Reference, Fast)["here.cores"].Text);
        Assert.Equal("1 core", new CourseNumbers(Reference, Slow with { Cores = 1 })["here.cores"].Text);
        Assert.Equal("1 thread", new CourseNumbers(Reference, Slow)["here.gpu-preparers"].Text);
        Assert.Equal("15 threads", new CourseNumbers(Reference, Fast)["here.gpu-preparers"].Text);
    }

    /// <summary>Lesson 7's sentence under its arithmetic said "this CPU does N× the multiply-adds" whatever N was.</summary>
    [Fact]
    public void TheArithmeticsSentence_FollowsTheMeasurement_OnASlowAndAFastServer()
    {
        var fast = TrainingArithmetic.Summary(TrainingArithmetic.Lines(Fast.Cpu, Fast.Gpu, Reference))!;
        Assert.Contains("this CPU does 168× the multiply-adds", fast);         // 400 images a second × 1.81 G against 2000 × 3 × 1.81 G in 42 minutes
        Assert.Contains("less time", fast);
        var slow = TrainingArithmetic.Summary(TrainingArithmetic.Lines(new MeasuredSpeed("cpu", 0.5, 1, DateTimeOffset.UtcNow), null, Reference))!;
        Assert.Contains("fewer multiply-adds a second than the article's", slow);
        Assert.Contains("more time than the article's CPU", slow);             // 4,000 s against the article's 2,520
        Assert.Null(TrainingArithmetic.Summary(TrainingArithmetic.Lines(null, null, Reference)));
    }
}
