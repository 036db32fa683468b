using System.Text.RegularExpressions;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Features.Lessons.Demos;
using LearnDL.Web.Features.MyGpu;
using LearnDL.Web.Features.Shared;

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

    private static string Rendered(Lesson lesson, ServerFigures figures, LearnerGpu? mine = null) =>
        string.Join("\n", lesson.Blocks.OfType<ProseBlock>().Select(p => new CourseNumbers(Reference, figures, mine).Render(p.Html)));

    /// <summary>A T4 from a free notebook (slower than the reference), a card faster than the reference, and a notebook left on its CPU.</summary>
    public static readonly LearnerGpu T4 = GpuResultParser.Parse(MyGpuTests.T4Result).Gpu!;
    public static readonly LearnerGpu FastCard = T4 with
    {
        Name = "NVIDIA B200", Network = [.. T4.Network.Select(t => t with { ImagesPerSecond = t.ImagesPerSecond * 9 })],
    };
    public static readonly LearnerGpu NotebookCpu = T4 with
    {
        Name = "Intel(R) Xeon(R) CPU @ 2.20GHz", Device = "cpu", Network = [.. T4.Network.Where(t => t.Precision == "fp32").Select(t => t with { ImagesPerSecond = t.ImagesPerSecond / 60 })],
    };

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

    public static TheoryData<string, string, string> LessonsServersAndCards()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var lesson in Repository.All)
            foreach (var server in Servers.Keys)
                foreach (var card in Cards.Keys)
                    data.Add(lesson.Slug, server, card);
        return data;
    }

    private static readonly Dictionary<string, ServerFigures> Servers = new() { ["slow 2-core, no GPU"] = Slow, ["fast 16-core with a GPU"] = Fast, ["nothing measured"] = ServerFigures.None };
    private static readonly Dictionary<string, LearnerGpu?> Cards = new() { ["no card"] = null, ["T4"] = T4, ["faster than the reference"] = FastCard, ["notebook on its CPU"] = NotebookCpu };

    /// <summary>
    /// The general check (issue 24, point 3): every sentence with a live figure, rendered for very different servers and
    /// learners' cards, agrees with its own numbers (comparisons, factors, core counts), whichever sentence it is.
    /// </summary>
    [Theory]
    [MemberData(nameof(LessonsServersAndCards))]
    public void NoSentence_ContradictsItsNumbers(string slug, string server, string card)
    {
        var html = Rendered(Repository.Find(slug)!, Servers[server], Cards[card]);
        var found = SentenceChecks.Contradictions(html);
        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    /// <summary>The check is not a list of phrases: sentences it has never seen, contradicting their figures, fail it.</summary>
    [Theory]
    [InlineData("This server's CPU runs ResNet18 at [[here.cpu.rate]], [[here.vs-ref]] faster than the reference GPU's [[ref.fwd.b64]].", "says the first figure is larger")]
    [InlineData("The reference GPU's [[ref.fwd.b64]] is 3 times more images a second than this server's [[here.cpu.rate]].", "the figures it compares differ")]
    [InlineData("This server shares the work between both of its [[here.cores]].", "\"both\"/\"the other\" said of cores")]
    [InlineData("All 2 cores decode images: this server has [[here.cores]].", "\"All 2 cores\"")]
    [InlineData("One 512×512 multiply took [[ref.mm.gpu.512]] on the GPU against [[ref.mm.cpu.512]] on its CPU, [[ref.mm.ratio.512]] slower.", "says the first figure is larger")]
    public void APlantedContradiction_Fails(string sentence, string problem)
    {
        var html = new CourseNumbers(Reference, Fast).Render($"<p>{System.Net.WebUtility.HtmlEncode(sentence)}</p>");
        var found = SentenceChecks.Contradictions(html);
        Assert.True(found.Any(f => f.Contains(problem, StringComparison.Ordinal)), $"expected \"{problem}\" among: {string.Join("\n", found)}");
        // The same sentences, said the right way round, pass.
        var fixedHtml = new CourseNumbers(Reference, Slow with { Cores = 2 }).Render(
            "<p>The reference GPU runs ResNet18 at [[ref.fwd.b64]], [[here.vs-ref]] faster than this server's CPU's [[here.cpu.rate]]. Both of its [[here.cores]] decode.</p>");
        var stillFound = SentenceChecks.Contradictions(fixedHtml);
        Assert.True(stillFound.Count == 0, string.Join("\n", stillFound));
    }

    /// <summary>
    /// Lessons 5 and 8 (and 3 and 7, where a reference GPU figure is compared) say the learner's own card's figure once
    /// they pasted one, labelled as measured by them, beside the reference where the sentence compares; without a card
    /// the text is what it was.
    /// </summary>
    [Fact]
    public void TheLessonsSentences_FollowTheLearnersCard_LabelledAsTheirs()
    {
        string Words(string slug, LearnerGpu? mine) => System.Net.WebUtility.HtmlDecode(LiveTextTests.Words(Rendered(Repository.Find(slug)!, Fast, mine)));
        var refForward = new CourseNumbers(Reference, Fast)["ref.fwd.b64"].Text;

        foreach (var slug in new[] { "do-you-need-a-gpu", "where-to-get-a-gpu" })
        {
            Assert.DoesNotContain(", measured by you,", Words(slug, null));
            Assert.DoesNotContain("data-mine", Rendered(Repository.Find(slug)!, Fast));
            var mine = Words(slug, T4);
            var expected = $"Your Tesla T4, measured by you, runs ResNet18 forward at 1,100 images a second: {Compare(1100, Reference.Speed("gpu", false))} the reference {Reference.Gpu}'s {refForward}.";
            var at = mine.IndexOf("Your Tesla T4", StringComparison.Ordinal);
            Assert.True(at >= 0, $"{slug}: no sentence about the learner's card");
            Assert.Equal(expected, mine.Substring(at, Math.Min(expected.Length, mine.Length - at)));
            Assert.Contains("Your NVIDIA B200, measured by you, runs ResNet18 forward at 9,900 images a second: ", Words(slug, FastCard));
            Assert.Contains("times more images a second than the reference", Words(slug, FastCard));
            Assert.Contains("Your notebook's CPU (Intel(R) Xeon(R) CPU @ 2.20GHz, no GPU runtime), measured by you", Words(slug, NotebookCpu));
        }
        // Lesson 8's sum: the T4 estimate without a card, the learner's card (by their own training cost) with one.
        var estimate = Words("where-to-get-a-gpu", null);
        Assert.Contains($"{new CourseNumbers(Reference, Fast)["calc.60k20.t4"].Text} on a T4 by the estimate above, all as the calculator works them out", estimate);
        var t4Sum = Durations.InWords(TrainingTime.Seconds(60_000, 20, TrainingKind.EveryLayer, T4.ForwardImagesPerSecond, T4.TrainingCost, null));
        Assert.Contains($"on the reference GPU and {t4Sum} on your Tesla T4, measured by you, all as the calculator works them out", Words("where-to-get-a-gpu", T4));
        // Lessons 3 and 7 compare the reference with this server: the learner's card joins the comparison.
        Assert.Contains("Your Tesla T4, measured by you, sustained", Words("one-training-step", T4));
        Assert.Contains("this server's CPU's", Words("one-training-step", T4));
        Assert.Contains("Your Tesla T4, measured by you, runs the network at 1,100 images a second: 2.75 times more images a second than this server's CPU's 400 images a second.", Words("replaying-the-experiment", T4));
        Assert.DoesNotContain(", measured by you,", Words("replaying-the-experiment", null));
        // Each of the learner's figures carries its source (the notebook's run) on hover, and says it is theirs.
        var html = Rendered(Repository.Find("where-to-get-a-gpu")!, Fast, T4);
        Assert.Contains("data-mine=\"yes\" title=\"measured by you on Tesla T4 with PyTorch 2.5.1 on", html);
    }

    private static string Compare(double mine, double reference) => $"{reference / mine:0.##} times fewer images a second than";
}
