using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Features.Lessons.Demos;
using LearnDL.Web.Tests.RunService;

namespace LearnDL.Web.Tests;

/// <summary>
/// The course's content, checked for the kinds of error a careful reader found in its first edition:
/// numbers without a source, pictures that contradict their alt text, terms used before they are
/// explained, and text that drifts from the measurements it quotes.
/// </summary>
public class LessonContentTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "lessons");
    private static readonly LessonCatalog Repository = new(Folder);
    private static readonly GpuReference Reference = GpuReference.Load(Path.Combine(AppContext.BaseDirectory, "gpu-reference.json"));
    private static string Svg(string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "wwwroot-content", file));

    public static TheoryData<string> Slugs => new(Repository.All.Select(l => l.Slug));

    [Theory]
    [MemberData(nameof(Slugs))]
    public void EveryMeasuredNumber_IsLive_FromTheReferenceFile_OrCited(string slug)
    {
        var lesson = Repository.Find(slug)!;
        var unsourced = LessonChecks.UnsourcedNumbers(lesson);
        Assert.True(unsourced.Count == 0, string.Join("\n", unsourced));
        // The summary, goals and recap cannot cite: measured figures belong in the text.
        Assert.Empty(new[] { lesson.Summary }.Concat(lesson.Goals).Concat(lesson.Recap).SelectMany(LessonChecks.MeasurementsIn));
    }

    [Fact]
    public void TheNumberCheck_CatchesAConstant_AndAcceptsFiguresCitationsAndWorkedArithmetic()
    {
        using var temp = new TempFolder();
        Lesson Parse(string body)
        {
            var path = Path.Combine(temp.Path, "n.md");
            File.WriteAllText(path, "---\ntitle: N\norder: 1\nsources:\n  - id: sheet\n    text: NVIDIA T4 Tensor Core GPU datasheet\n---\n" + body);
            return LessonParser.Parse(path);
        }
        // Lesson 5's first edition: a two-core server featurizing "about 50 images a second", a constant.
        Assert.Single(LessonChecks.UnsourcedNumbers(Parse("A two-core server featurizing about 50 images a second.\n")));
        Assert.Single(LessonChecks.UnsourcedNumbers(Parse("| 60,000 images | about 7 seconds |\n")));
        Assert.Single(LessonChecks.UnsourcedNumbers(Parse("The package is about 540 MB.\n")));
        Assert.Single(LessonChecks.UnsourcedNumbers(Parse("The GPU was 40× faster.\n")));
        Assert.Empty(LessonChecks.UnsourcedNumbers(Parse("This server featurizes [[here.cpu.rate]].\n")));
        Assert.Empty(LessonChecks.UnsourcedNumbers(Parse("A T4 has 16 GB of memory [[src:sheet]].\n")));
        Assert.Empty(LessonChecks.UnsourcedNumbers(Parse("60,000 × 150,528 × 4 bytes = 36 GB, more than most laptops have.\n")));
        Assert.Empty(LessonChecks.UnsourcedNumbers(Parse("Images of 224×224 pixels, 2000 of them, in 5 classes; `sleep 5 s`.\n")));
    }

    public static TheoryData<string, string> Figures
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var lesson in Repository.All)
                foreach (var figure in lesson.Blocks.OfType<FigureBlock>()) data.Add(lesson.Slug, figure.Figure.Name);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Figures))]
    public void EveryPicture_ItsAltTextAndItsCaption_DescribeTheSameThing(string slug, string figure)
    {
        var f = Repository.Find(slug)!.Blocks.OfType<FigureBlock>().Single(b => b.Figure.Name == figure).Figure;
        var problems = LessonChecks.FigureProblems(f, Svg(f.File));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheFigureCheck_CatchesAnAltTextThatDescribesAnotherDrawing()
    {
        var figure = new LessonFigure { File = "x.svg", Alt = "A bar chart: the GPU takes 33 seconds and the CPU 42 minutes for the batch.", Caption = "The GPU finishes first.", Keywords = ["GPU"] };
        const string drawing = "<svg xmlns='http://www.w3.org/2000/svg'><title>CPU and GPU</title><text>GPU 33 s</text></svg>";
        Assert.Contains(LessonChecks.FigureProblems(figure, drawing), p => p.Contains("says 42"));
        figure.Keywords = ["batch"];
        Assert.Contains(LessonChecks.FigureProblems(figure, drawing), p => p.Contains("drawing does not say 'batch'"));
    }

    /// <summary>The first edition drew the GPU's jobs ending after the CPU's while its alt text said the GPU's batch finished first.</summary>
    [Fact]
    public void LatencyPicture_DrawsTheGpuBatchFinishingFirst_AsItsAltTextSays()
    {
        var lesson = Repository.Find("cpu-and-gpu")!;
        var figure = lesson.Blocks.OfType<FigureBlock>().Single(f => f.Figure.File == "latency-throughput.svg").Figure;
        Assert.Contains("finishes the batch first", figure.Alt);
        var svg = XDocument.Parse(Svg(figure.File));
        double End(string kind) => svg.Descendants().Where(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == kind)
            .Max(r => double.Parse((string)r.Attribute("x")!, CultureInfo.InvariantCulture) + double.Parse((string)r.Attribute("width")!, CultureInfo.InvariantCulture));
        int Count(string kind) => svg.Descendants().Count(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == kind);
        Assert.Equal((16, 16), (Count("cpu-job"), Count("gpu-job")));
        Assert.True(End("gpu-job") < End("cpu-job"), "the GPU's last job must end before the CPU's");
        var cpuJob = svg.Descendants().First(e => (string?)e.Attribute("class") == "cpu-job");
        var gpuJob = svg.Descendants().First(e => (string?)e.Attribute("class") == "gpu-job");
        Assert.True(double.Parse((string)gpuJob.Attribute("width")!, CultureInfo.InvariantCulture) > double.Parse((string)cpuJob.Attribute("width")!, CultureInfo.InvariantCulture),
            "each GPU job is slower (longer) than a CPU job: that is the trade the picture shows");
    }

    [Fact]
    public void ResNet18Picture_ShowsTheCountedWorkPerStage_AndSaysLayer1KeepsItsSize()
    {
        var drawn = LessonChecks.DrawnText(Svg("resnet18-work.svg"));
        foreach (var stage in ResNet18Work.Stages)
            Assert.Contains($"{stage.MultiplyAdds / 1e6:0.0} M", drawn);
        Assert.DoesNotContain("Each residual stage halves", drawn);
        Assert.Contains("layer1", drawn);
        var text = string.Join(" ", Repository.Find("one-training-step")!.Blocks.OfType<ProseBlock>().Select(p => p.Markdown));
        Assert.DoesNotContain("Each stage halves", text);
    }

    [Fact]
    public void BatchPicture_DrawsTheReferenceFilesFigures()
    {
        var drawn = LessonChecks.DrawnText(Svg("batch-size.svg"));
        foreach (var n in Reference.Network.Where(n => n.Device == "gpu" && !n.Train))
            Assert.Contains(n.ImagesPerSecond.ToString("N0", CultureInfo.InvariantCulture), drawn);
    }

    [Fact]
    public void Glossary_DefinesEveryTermBeforeALearnerMeetsIt_OrTheTextLinksToIt()
    {
        var glossary = Repository.Glossary;
        // The words the first edition used before explaining them.
        foreach (var id in new[] { "featurize", "head", "pretrained", "epoch", "batch", "single-precision" })
            Assert.NotNull(glossary.Find(id));
        var problems = GlossaryCheck.Problems(Repository.All, glossary);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheGlossaryCheck_CatchesATermUsedBeforeItsLesson()
    {
        using var temp = new TempFolder();
        File.WriteAllText(Path.Combine(temp.Path, "a.md"), "---\nslug: a\ntitle: A\norder: 1\n---\nWe train for one epoch.\n");
        File.WriteAllText(Path.Combine(temp.Path, "b.md"), "---\nslug: b\ntitle: B\norder: 2\n---\nAn **epoch** is one pass over the data.\n");
        Directory.CreateDirectory(Path.Combine(temp.Path, "glossary"));
        File.WriteAllText(Path.Combine(temp.Path, "glossary", "terms.md"),
            "---\nterms:\n  - id: epoch\n    term: epoch\n    forms: [epoch, epochs]\n    lesson: b\n    definition: One pass.\n---\n");
        var catalog = new LessonCatalog(temp.Path);
        Assert.Contains(GlossaryCheck.Problems(catalog.All, catalog.Glossary), p => p.Contains("used in lesson 1 before lesson 2"));
        File.WriteAllText(Path.Combine(temp.Path, "a.md"), "---\nslug: a\ntitle: A\norder: 1\n---\nWe train for one [epoch](/glossary#epoch).\n");
        catalog = new LessonCatalog(temp.Path);
        Assert.Empty(GlossaryCheck.Problems(catalog.All, catalog.Glossary));
    }

    [Fact]
    public void EveryFigureName_Renders_WithOrWithoutThisServersMeasurements()
    {
        var cpuRun = new MeasuredRun(Guid.NewGuid(), "cpu", 400, 80, 0.9, 20, [new("prepare", 1), new("decode", 2), new("resize", 1), new("featurize", 15), new("train", 2), new("evaluate", 0.5)], Epochs: 2);
        var measured = new CourseNumbers(Reference, new ServerFigures(new MeasuredSpeed("cpu", 40, 3, DateTimeOffset.UtcNow), null, cpuRun));
        var none = new CourseNumbers(Reference, ServerFigures.None);
        // The learner's card's sentences (mine.*) say nothing until a card is given; with one, they say something.
        var withCard = new CourseNumbers(Reference, ServerFigures.None, LiveTextTests.T4);
        foreach (var name in CourseNumbers.Names)
        {
            Assert.DoesNotContain("not in the reference file", measured[name].Text);
            Assert.DoesNotContain("not measured", measured[name].Text);
            Assert.False(string.IsNullOrWhiteSpace(withCard[name].Source), name);
            Assert.False(string.IsNullOrWhiteSpace(withCard[name].Text), name);
            if (name.StartsWith("mine.", StringComparison.Ordinal)) continue;
            Assert.False(string.IsNullOrWhiteSpace(measured[name].Source), name);
            Assert.False(string.IsNullOrWhiteSpace(none[name].Text), name);
        }
        Assert.Equal("", none.Render("<p>[[mine.fwd]]</p>")[3..^4]);
        Assert.Equal("40 images a second", measured["here.cpu.rate"].Text);
        Assert.True(none["here.cpu.rate"].Pending);
        Assert.Contains("start a Try-it", none["here.cpu.rate"].Source);
        Assert.Equal("9,053 images a second", measured["ref.fwd.b64"].Text);
        Assert.Equal("FP32, TF32 off", measured["ref.precision"].Text);
        Assert.Equal("133 images a second", measured["here.loading.rate"].Text); // 400 images decoded and resized in 2 + 1 s on one thread
        Assert.Contains("data-number=\"ref.gpu\"", measured.Render("<p>[[ref.gpu]]</p>"));
    }

    [Fact]
    public void T4Estimate_IsTheH200MeasurementScaledByTheDatasheetsFp32Ratio()
    {
        var estimate = GpuDatasheets.EstimateFromRatio(GpuDatasheets.T4, Reference.Speed("gpu", train: false));
        Assert.Equal(9053.22 * 8.1 / 67, estimate, 0.5);
        Assert.Contains("estimated from the datasheet ratio", new CourseNumbers(Reference, ServerFigures.None)["est.t4.fwd"].Source);
    }

    /// <summary>The first edition's lesson 8 said "about eight minutes" where its calculator said 6.6 for the same case.</summary>
    [Fact]
    public void Lesson8_StatesTheTimeItsCalculatorGives()
    {
        var text = string.Join(" ", Repository.Find("where-to-get-a-gpu")!.Blocks.OfType<ProseBlock>().Select(p => p.Markdown));
        Assert.Contains("[[calc.60k20.ref]]", text);
        var fromCalculator = GpuTimeCalculator.Estimate(new(60_000, 20, TrainingKind.EveryLayer, 1, Reference.Speed("gpu", false), 0, TrainingCost.From(Reference), null)).GpuSeconds;
        Assert.Equal(LearnDL.Web.Features.Shared.Durations.InWords(fromCalculator), new CourseNumbers(Reference, ServerFigures.None)["calc.60k20.ref"].Text);
    }

    [Theory]
    [InlineData("The T4 [[src:nope]].", "the source 'nope' is not in the front matter's sources")]
    [InlineData("The H200 does [[ref.fwd.b999]].", "no course figure called 'ref.fwd.b999'")]
    public void Parse_AnUnknownCitationOrFigure_SaysWhichLine(string body, string message)
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "c.md");
        File.WriteAllText(path, "---\ntitle: C\norder: 1\nsources:\n  - id: sheet\n    text: A datasheet\n---\nFirst line.\n\n" + body + "\n");
        var error = Assert.Throws<InvalidDataException>(() => LessonParser.Parse(path));
        Assert.Contains(message, error.Message);
        Assert.Contains("c.md line 10", error.Message);
    }

    [Fact]
    public void Citations_BecomeNumberedLinksToTheLessonsSources()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "c.md");
        File.WriteAllText(path, "---\ntitle: C\norder: 1\nsources:\n  - id: a\n    text: First\n  - id: sheet\n    text: A datasheet\n---\nA T4 has 16 GB [[src:sheet]].\n");
        var html = ((ProseBlock)LessonParser.Parse(path).Blocks[0]).Html;
        Assert.Contains("<a href=\"#source-sheet\" aria-label=\"source 2: A datasheet\">[2]</a>", html);
        Assert.DoesNotContain("[[", html);
    }

    [Theory]
    [InlineData("12", 12.0)]
    [InlineData(" 1,5 ", 1.5)]
    [InlineData("1,000", 1000.0)]
    [InlineData("40%", 40.0)]
    [InlineData("8x", 8.0)]
    [InlineData("lots", null)]
    [InlineData("-3", null)]
    public void Prediction_ReadsWhatTheReaderTyped(string typed, double? expected) =>
        Assert.Equal(expected, Prediction.ParseGuess(typed));

    [Fact]
    public void Prediction_ComparesTheGuessWithTheMeasurement()
    {
        Assert.True(new Prediction(10, 11, "seconds").Close);
        var far = new Prediction(100, 20, "seconds");
        Assert.False(far.Close);
        Assert.Equal("You predicted 100 seconds; this server measured 20 seconds. Your guess was 5 times too high.", far.Verdict);
        Assert.Contains("3 times too low", new Prediction(10, 30, "%").Verdict);
    }
}
