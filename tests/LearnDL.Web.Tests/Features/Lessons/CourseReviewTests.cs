using System.Text.RegularExpressions;
using System.Xml.Linq;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Features.Lessons.Demos;
using LearnDL.Web.Tests.RunService;

namespace LearnDL.Web.Tests;

/// <summary>
/// The kinds of error the course's second review found (issue 24), each checked so it cannot come back:
/// terms used before they are taught in questions and pictures, citations quoting another source's title,
/// charts not drawn to scale, the article's unknowns stated as facts, and figures that contradict each other.
/// </summary>
public class CourseReviewTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "lessons");
    private static readonly LessonCatalog Repository = new(Folder);
    private static readonly GpuReference Reference = GpuReference.Load(Path.Combine(AppContext.BaseDirectory, "gpu-reference.json"));
    private static string Svg(string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "wwwroot-content", file));
    private static string Text(string slug) => string.Join("\n", Repository.Find(slug)!.Blocks.OfType<ProseBlock>().Select(p => p.Markdown));

    /// <summary>Lesson 1's question gpu-stage said "pretrained", "featurization" and "head" before the course had taught them.</summary>
    [Fact]
    public void TheGlossaryCheck_ReadsQuestionsAnswersCaptionsAndAltText()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(Path.Combine(temp.Path, "glossary"));
        File.WriteAllText(Path.Combine(temp.Path, "glossary", "terms.md"),
            "---\nterms:\n  - id: head\n    term: head\n    forms: [head]\n    lesson: b\n    definition: The small classifier.\n---\n");
        File.WriteAllText(Path.Combine(temp.Path, "b.md"), "---\nslug: b\ntitle: B\norder: 2\n---\nThe **head** is small.\n");
        void Lesson1(string frontMatter, string body) => File.WriteAllText(Path.Combine(temp.Path, "a.md"), $"---\nslug: a\ntitle: A\norder: 1\n{frontMatter}---\n{body}\n");
        IReadOnlyList<string> Problems() { var c = new LessonCatalog(temp.Path); return GlossaryCheck.Problems(c.All, c.Glossary); }

        Lesson1("questions:\n  - id: q\n    text: Which part?\n    answers:\n      - text: The network\n        correct: true\n        why: Right.\n      - text: Training the head\n        why: No.\n", "Words.\n\n{{check q}}");
        Assert.Contains(Problems(), p => p.Contains("question 'q'") && p.Contains("used in lesson 1 before lesson 2"));
        Lesson1("figures:\n  - name: f\n    file: f.svg\n    alt: A head on a body, drawn in two colours for the lesson.\n    caption: A picture.\n    keywords: [x]\n", "Words.\n\n{{figure f}}");
        Assert.Contains(Problems(), p => p.Contains("picture f.svg"));
        Lesson1("figures:\n  - name: f\n    file: f.svg\n    alt: A small classifier on a body, drawn in two colours.\n    caption: The head, trained.\n    keywords: [x]\n", "Words.\n\n{{figure f}}");
        Assert.Contains(Problems(), p => p.Contains("picture f.svg"));
        // After a linked use in the same lesson, the question may use the word.
        Lesson1("questions:\n  - id: q\n    text: Which part?\n    answers:\n      - text: The network\n        correct: true\n        why: Right.\n      - text: Training the head\n        why: No.\n", "A [head](/glossary#head) comes later.\n\n{{check q}}");
        Assert.Empty(Problems());
    }

    /// <summary>Lesson 6 quoted a title PyTorch issue 157517 does not have.</summary>
    [Fact]
    public void EveryCitation_QuotesTheTitleOfTheSourceItLinks()
    {
        var titles = LessonChecks.LoadCitationTitles(Path.Combine(Folder, "citations.txt"));
        var problems = Repository.All.SelectMany(l => LessonChecks.CitationProblems(l, titles)).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheCitationCheck_CatchesAWrongTitleAndAWrongNumber()
    {
        var titles = new Dictionary<string, string> { ["https://github.com/pytorch/pytorch/issues/157517"] = "[release 2.9] Deprecate support for Maxwell, Pascal, and Volta architectures" };
        Lesson With(string text, string url) => new("x", "X", 1, "", [], [], []) { Sources = [new LessonSource { Id = "s", Text = text, Url = url }] };
        // The second edition's source: a title the issue does not have.
        Assert.Contains(LessonChecks.CitationProblems(With("PyTorch issue 157517, \"Delete support for Maxwell, Pascal, and Volta architectures for CUDA 12.8 and 12.9 builds\"", "https://github.com/pytorch/pytorch/issues/157517"), titles),
            p => p.Contains("but the title of"));
        Assert.Contains(LessonChecks.CitationProblems(With("PyTorch issue 157518, \"[release 2.9] Deprecate support for Maxwell, Pascal, and Volta architectures\"", "https://github.com/pytorch/pytorch/issues/157517"), titles),
            p => p.Contains("names issue 157518"));
        Assert.Contains(LessonChecks.CitationProblems(With("An issue, \"Some title of an issue\"", "https://github.com/a/b/issues/1"), titles), p => p.Contains("does not record"));
        Assert.Empty(LessonChecks.CitationProblems(With("PyTorch issue 157517, \"[release 2.9] Deprecate support for Maxwell, Pascal, and Volta architectures\"", "https://github.com/pytorch/pytorch/issues/157517"), titles));
    }

    public static TheoryData<string> Drawings => new(CourseDrawings.All.Keys);

    /// <summary>learn-on-cpu.svg drew the GPU 2-3.6× shorter in every row; batch-size.svg drew 8/40/150 px for batches of 1/8/32. Both are drawn by code now.</summary>
    [Theory]
    [MemberData(nameof(Drawings))]
    public void Charts_AreDrawnByCodeFromTheirNumbers(string file)
    {
        var drawn = CourseDrawings.All[file](Reference);
        if (Environment.GetEnvironmentVariable("LEARNDL_REDRAW") == "1")
            File.WriteAllText(Path.Combine(LearnDL.Testing.Repository.Root, "wwwroot-content", file), drawn);
        Assert.True(drawn == Svg(file), $"wwwroot-content/{file} is not the drawing CourseDrawings makes from its numbers: run this test with LEARNDL_REDRAW=1 to redraw it.");
        Assert.Empty(LessonChecks.ScaleProblems(file, drawn));
        Assert.DoesNotContain("not to scale", LessonChecks.DrawnText(drawn));
    }

    [Fact]
    public void EveryPicture_DrawsItsBarsToScale_AndNoneIsASketch()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "wwwroot-content"), "*.svg"))
        {
            var svg = File.ReadAllText(file);
            Assert.Empty(LessonChecks.ScaleProblems(Path.GetFileName(file), svg));
            Assert.DoesNotMatch(new Regex("not to scale|a sketch", RegexOptions.IgnoreCase), LessonChecks.DrawnText(svg));
        }
        foreach (var figure in Repository.All.SelectMany(l => l.Blocks.OfType<FigureBlock>()))
            Assert.DoesNotMatch(new Regex("not to scale|a sketch", RegexOptions.IgnoreCase), figure.Figure.Caption + figure.Figure.Alt);
    }

    [Fact]
    public void TheScaleCheck_CatchesBarsOffScale_AndAHundredfoldRangeOnALinearAxis()
    {
        const string offScale = "<svg xmlns='http://www.w3.org/2000/svg'><g data-scale='linear' data-x='10' data-px='1'><rect x='10' y='0' width='8' height='5' data-value='1'/><rect x='10' y='9' width='40' height='5' data-value='8'/></g></svg>";
        Assert.Contains(LessonChecks.ScaleProblems("b.svg", offScale), p => p.Contains("to scale it would be 1 px") || p.Contains("would be 1 px"));
        const string wide = "<svg xmlns='http://www.w3.org/2000/svg'><g data-scale='linear' data-x='0' data-px='0.001'><rect x='0' width='0.3' data-value='300'/><rect x='0' width='141' data-value='141000'/></g></svg>";
        Assert.Contains(LessonChecks.ScaleProblems("m.svg", wide), p => p.Contains("log axis"));
        const string log = "<svg xmlns='http://www.w3.org/2000/svg'><g data-scale='log' data-x='0' data-from='1' data-px-per-decade='50'><rect x='0' width='100' data-value='100'/><rect x='0' width='250' data-value='100000'/></g></svg>";
        Assert.Empty(LessonChecks.ScaleProblems("l.svg", log));
    }

    [Fact]
    public void BatchPicture_ShowsActivationsAgainstTheCardsMemoryOnALogAxis()
    {
        var drawn = LessonChecks.DrawnText(Svg("batch-size.svg"));
        Assert.Contains("318 MB", drawn); // ResNet18's convolution outputs at batch 32, FP32: about 0.3 GB
        Assert.Contains("141 GB", drawn);
        Assert.Contains("log axis", drawn);
        var lesson9 = Text("memory-batch-and-precision");
        Assert.DoesNotContain("largest batch that fits, say 32 or 64", lesson9);
    }

    /// <summary>The article names no network and no method: wherever the course explains its times it says so.</summary>
    [Fact]
    public void TheArticlesNetworkAndMethod_AreLabelledAssumptions_WhereverItsTimesAreExplained()
    {
        var lesson7 = Repository.Find("replaying-the-experiment")!;
        Assert.Contains("{{demo assumption-explorer}}", Text("replaying-the-experiment").Replace("\n", " ") + string.Join(" ", lesson7.Blocks.OfType<DemoBlock>().Select(d => $"{{{{demo {d.Name}}}}}")));
        Assert.DoesNotMatch(new Regex("(?<!if )the article trained every layer", RegexOptions.IgnoreCase), Text("replaying-the-experiment"));
        Assert.Contains("assumption", Text("replaying-the-experiment"));
        Assert.Contains(lesson7.Recap, r => r.Contains("assumption"));
        Assert.Contains("it names neither", lesson7.Recap.Single(r => r.Contains("third of its work")));
        var minute = lesson7.Questions.Single(q => q.Id == "minute");
        Assert.Contains("assum", minute.Answers.Single(a => a.Correct).Why);
        Assert.All(TrainingArithmetic.Lines(null, null, Reference).Where(l => l.What.StartsWith("The article")), l => Assert.Contains("assumptions", l.Source));
        Assert.DoesNotContain("forward and backward. Here", Text("transfer-learning")); // lesson 4 said the article's epoch was every layer, forward and backward
        var trap = Repository.Find("same-script-cpu-or-gpu-build")!.Questions.Single(q => q.Id == "trap").Answers.Single(a => a.Correct).Why;
        Assert.DoesNotContain("about 76 times slower", trap); // the 76× is another of the article's experiments
    }

    /// <summary>Text that states what a live figure shows ("both cores", "hundreds of times") was hard-coded.</summary>
    [Fact]
    public void NoLessonHardCodesALiveOutcome()
    {
        var phrases = new[] { "both cores", "the other core ", "the other core,", "hundreds of times more", "tens of times this server", "one thread in LearnDL", "on one CPU thread, whichever" };
        foreach (var lesson in Repository.All)
        {
            var all = Text(lesson.Slug) + string.Join(" ", lesson.Questions.SelectMany(q => q.Answers.Select(a => a.Why).Append(q.Text)));
            foreach (var phrase in phrases) Assert.DoesNotContain(phrase, all);
        }
    }

    [Fact]
    public void TheReviewsFacts_AreStatedRightly()
    {
        var l3 = Repository.Find("one-training-step")!;
        Assert.Contains("6.5%", l3.Questions.Single(q => q.Id == "where").Answers[2].Why);
        Assert.Contains("largest single convolution", l3.Questions.Single(q => q.Id == "where").Answers[2].Why);
        Assert.DoesNotContain("having nothing halved", Text("one-training-step"));
        Assert.Contains("3.5", Text("one-training-step"));
        Assert.Contains("3.5", LessonChecks.DrawnText(Svg("resnet18-work.svg")));
        Assert.DoesNotContain("a few million multiply-adds per epoch", string.Join(" ", Repository.Find("do-you-need-a-gpu")!.Questions.SelectMany(q => q.Answers).Select(a => a.Why)));
        Assert.DoesNotContain("the article's author used a MacBook", Text("same-script-cpu-or-gpu-build"));
        Assert.DoesNotContain("Python or C# script", string.Join(" ", Repository.Find("where-to-get-a-gpu")!.Questions.SelectMany(q => q.Answers).Select(a => a.Why)));
        Assert.Contains("2,565", LessonChecks.DrawnText(Svg("transfer-learning.svg")));
        Assert.DoesNotContain("quietly the CPU", LessonChecks.DrawnText(Svg("cpu-gpu-builds.svg")));
        Assert.Contains("an error", LessonChecks.DrawnText(Svg("cpu-gpu-builds.svg")));
        Assert.DoesNotContain("do not change at all", Text("replaying-the-experiment"));
        Assert.Contains("CUDA session", Text("replaying-the-experiment"));
        // Lesson 8's H200 speed is the reference file's, not the datasheet's.
        Assert.DoesNotContain("[[ref.precision]] [[src:h200]]", Text("where-to-get-a-gpu"));
        // A GPU can decode (nvJPEG, DALI): lessons 1 and 7 say when each holds.
        Assert.Contains("nvJPEG", Text("cpu-and-gpu"));
        Assert.Contains("nvJPEG", Text("replaying-the-experiment"));
        Assert.DoesNotContain("A GPU cannot read your files any faster", string.Join(" ", Repository.Find("cpu-and-gpu")!.Questions.SelectMany(q => q.Answers).Select(a => a.Why)));
        // Lesson 7 says photos decode far slower than its tiles, with the bench's 12-megapixel figure.
        Assert.Contains("twelve-megapixel", Text("replaying-the-experiment"));
    }

    /// <summary>Lesson 2's list, its picture's caption and its demonstration named three different "four ways".</summary>
    [Fact]
    public void Lesson2_NamesTheSameFourWays_InItsListPictureAndDemonstration()
    {
        var lesson = Repository.Find("sequential-and-parallel")!;
        var caption = lesson.Blocks.OfType<FigureBlock>().Single().Figure.Caption;
        var text = Text("sequential-and-parallel");
        foreach (var way in new[] { "SIMD", "every core", "tuned library", "GPU" })
        {
            Assert.Contains(way, text, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(way, caption, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(way, ParallelWorkFindings.Heading(gpuHere: false), StringComparison.OrdinalIgnoreCase);
        }
        Assert.Contains("plain loop", caption);
        Assert.Contains("plain loop", ParallelWorkFindings.Heading(gpuHere: true));
    }

    /// <summary>The third edition's first draft put {{demo my-gpu}} at the start of a paragraph's line, where it showed as text.</summary>
    [Fact]
    public void Parse_ABlockInsideAParagraph_SaysWhichLine()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "p.md");
        File.WriteAllText(path, "---\ntitle: P\norder: 1\n---\nFirst line.\n\n{{demo my-gpu}} And the text goes on.\n");
        var error = Assert.Throws<InvalidDataException>(() => LessonParser.Parse(path));
        Assert.Contains("p.md line 7", error.Message);
        Assert.Contains("a line of its own", error.Message);
    }
}
