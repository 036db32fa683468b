using Bunit;
using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Features.Compare;
using LearnDL.Web.Features.Doctor;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Features.Lessons.Demos;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using LearnDL.Web.Live;
using LearnDL.Web.RunService;
using Microsoft.Extensions.Logging.Abstractions;
using LearnDL.Web.Features.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Services;
using Plotly.Blazor.Traces;

namespace LearnDL.Web.Tests;

/// <summary>Components rendered with bUnit over the real services and a real SQLite file.</summary>
public class ComponentTests : RunServiceContext
{
    private MemoryProgressStore Progress { get; } = new();
    internal MemoryGpuStore MyGpu { get; } = new();

    public ComponentTests() : base(o => o.GpuPrices = [new() { Name = "Example cloud GPU", PerHour = 2m }])
    {
        Services.AddSingleton<CompareService>();
        Services.AddSingleton(new LessonCatalog(Path.Combine(AppContext.BaseDirectory, "lessons")));
        Services.AddSingleton(GpuReference.Load(Path.Combine(AppContext.BaseDirectory, "gpu-reference.json")));
        Services.AddSingleton<MeasuredSpeeds>();
        Services.AddSingleton<IProgressStore>(Progress);
        Services.AddScoped<LessonProgress>();
        Services.AddSingleton<RunClassifier>();
        Services.AddSingleton<LearnDL.Web.Features.MyGpu.IMyGpuStore>(MyGpu);
        Services.AddScoped<LearnDL.Web.Features.MyGpu.MyGpuState>();
        Services.AddSingleton<LearnDL.Web.Features.MyGpu.ClassGpus>();
        // A signed-in learner, as the owner cookie gives every browser.
        var learner = RunOwner.NewLearner();
        AddAuthorization().SetAuthorized(learner.Name).SetClaims(learner.ToPrincipal("test").Claims.ToArray());
        // The app's own rules (Identity/AccessRules.cs) decide, not bUnit's stand-in for the authorization service.
        Services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationService, Microsoft.AspNetCore.Authorization.DefaultAuthorizationService>();
        Services.AddScoped<CurrentOwner>();
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Render<MudPopoverProvider>();
    }

    [Fact]
    public async Task Launcher_TooManyImages_ShowsTheLimitAndQueuesNothing()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/runs/new?images=99999&device=cpu");
        var cut = Render<NewRunPage>();
        cut.Find("#launch").Click();
        cut.WaitForAssertion(() => Assert.Contains("at most 5,000 images", cut.Find("#launch-errors").TextContent));
        Assert.Equal(0, (await Services.GetRequiredService<RunStore>().ListAsync(new RunFilter())).Total);
    }

    [Fact]
    public void Launcher_OnCpuBuild_DisablesGpuWithTheReason()
    {
        var cut = Render<NewRunPage>();
        Assert.Contains("-p:RuntimeBuild=gpu", cut.Find("#gpu-reason").TextContent);
    }

    [Fact]
    public async Task LiveRun_RendersStageProgressAndChartData_FromProgressEvents()
    {
        var id = Guid.NewGuid();
        await Services.GetRequiredService<RunStore>().AddAsync(new RunRecord { Id = id, CreatedAt = DateTimeOffset.UtcNow, Status = RunStatus.Running, Dataset = "builtin", Images = 40, Epochs = 2, DeviceRequested = "cpu" });
        var hub = Services.GetRequiredService<RunLifecycle>();
        hub.Queued(id, new LearnDL.Training.Compute.DeviceChoice(LearnDL.Training.Compute.ComputeDevice.Cpu, "The CPU was requested."), 1);
        await hub.StartAsync(id, new LearnDL.Training.Compute.DeviceChoice(LearnDL.Training.Compute.ComputeDevice.Cpu, "The CPU was requested."));
        hub.Report(id, new StageStarted(TimeSpan.FromSeconds(1), RunStage.Featurize, "40 images"));
        hub.Report(id, new ImagesFeaturized(TimeSpan.FromSeconds(2), 10, 40, 0, 12.5));

        var cut = Render<LiveRunView>(p => p.Add(c => c.RunId, id));
        cut.WaitForAssertion(() => Assert.Contains("Running: Featurizing with ResNet18", cut.Markup));
        Assert.Contains("10 / 40 images", cut.Markup);
        Assert.Equal("25", cut.Find("[data-progress]").GetAttribute("data-progress"));
        var throughput = cut.FindComponents<SvgLineChart>()[0].Instance.Chart.Series[0];
        Assert.Equal([12.5], throughput.Points.Select(p => p.Value));

        // Later events reach the open component (throttled, but never lost).
        hub.Report(id, new ImagesFeaturized(TimeSpan.FromSeconds(3), 30, 40, 0, 15));
        hub.Report(id, new EpochCompleted(TimeSpan.FromSeconds(4), new EpochMetrics(1, 0.9, 0.3, 0.85, 0.4)));
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("30 / 40 images", cut.Markup);
            var epochs = cut.FindComponents<SvgLineChart>()[2].Instance.Chart.Series[1];
            Assert.Equal([0.85], epochs.Points.Select(p => p.Value));
        });

        // Classmates whose identical Try-it joined this run, and how the cores were shared.
        await hub.JoinedAsync(id, "a classmate", 3);
        hub.Report(id, new CpuMeasured(TimeSpan.FromSeconds(5), new LearnDL.Training.Compute.CpuShare(2, 1, 1.8, 0.6)));
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("You are watching the same run as 2 others", cut.Find("#shared-run").TextContent);
            Assert.Contains("1.8 of 2 cores busy; other programs 0.6", cut.Find("#cpu-share").TextContent);
        }, TimeSpan.FromSeconds(5));

        Assert.Equal(1, Services.GetRequiredService<LiveUpdates>().WatcherCount(id));
        await DisposeComponentsAsync();
        Assert.Equal(0, Services.GetRequiredService<LiveUpdates>().WatcherCount(id)); // closing the page leaves no subscription behind
    }

    [Fact]
    public void Chart_ThatTheBrowserCannotDraw_KeepsThePageItsSummaryAndItsNumbers()
    {
        var plotly = JSInterop.SetupModule("./_content/Plotly.Blazor/plotly-interop-7.2.0.js");
        plotly.SetupVoid("newPlot", _ => true).SetException(new Microsoft.JSInterop.JSException("Plotly failed"));
        var model = new ChartModel("speed:1", [new Scatter { X = [1.0, 2.0], Y = [40.0, 50.0] }], new Plotly.Blazor.Layout(), "Speed rose from 40 to 50 images/s.",
            new ChartTable(["seconds", "images/s"], [["1", "40"], ["2", "50"]]));

        var cut = Render<ChartView>(p => p.Add(c => c.Model, model));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-chart-failed]")));
        Assert.Contains("Speed rose from 40 to 50", cut.Find("figcaption").TextContent);
        cut.Find("button.chart-numbers-toggle").Click(); // the page still answers
        Assert.Equal(2, cut.FindAll("table.chart-table tbody tr").Count);
    }

    [Fact]
    public async Task Compare_ShowsProjectionSpeedupAndTheArticlesFigures()
    {
        var store = Services.GetRequiredService<RunStore>();
        var cpu = await AddCompleted(store, "cpu", featurizeRate: 20);
        var gpu = await AddCompleted(store, "gpu", featurizeRate: 200);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/compare?ids={cpu},{gpu}");
        var cut = Render<ComparePage>();
        cut.WaitForAssertion(() => Assert.Contains("CPU", cut.Find("#compare-table").TextContent));
        var text = cut.Find("#compare-table").TextContent;
        // CPU: 10 s - 5 s + 2000/20 = 105 s; GPU: 10 - 5 + 2000/200 = 15 s; speedup 7x.
        Assert.Contains("105 s", text);
        Assert.Contains("7.0x", text);
        Assert.Contains("42 minutes", cut.Find("#article-reference").TextContent);
        Assert.Contains("76x", cut.Find("#article-reference").TextContent);
    }

    [Fact]
    public void Doctor_SaysWhichBuildAndWhyCudaIsNotUsable()
    {
        var cut = Render<DoctorPage>();
        cut.WaitForAssertion(() => Assert.Contains("CPU build", cut.Find("#runtime-build").TextContent));
        Assert.Equal("no", cut.Find("#cuda-usable").TextContent);
        Assert.Contains("Colab", cut.Find("#advice").TextContent);
        // Whether INT8 pays off on this CPU (issue 25), from the CPU's own flags.
        var int8 = LearnDL.Training.Compute.Int8Support.Detect();
        Assert.Equal(int8.Verdict, cut.Find("#int8-verdict").TextContent);
        Assert.StartsWith(int8.HasDotProduct ? "INT8 pays off here" : "INT8", int8.Verdict);
    }

    private static async Task<Guid> AddCompleted(RunStore store, string device, double featurizeRate)
    {
        var id = Guid.NewGuid();
        await store.AddAsync(new RunRecord { Id = id, CreatedAt = DateTimeOffset.UtcNow, Status = RunStatus.Running, Dataset = "builtin", Images = 100, Epochs = 1 });
        var result = new RunResult
        {
            Dataset = "builtin", Images = 100, TrainImages = 80, TestImages = 20, Device = device, DeviceReason = "test", RuntimeBuild = "gpu", BatchSize = 8,
            Epochs = [new(1, 0.9, 0.3, 0.8, 0.5)], Stages = [new("featurize", 5), new("train", 1)], TotalSeconds = 10, FeaturizeWallSeconds = 5,
            FeaturizeImagesPerSecond = featurizeRate, ImagesPerSecond = 10, MicroAccuracy = 0.8, MacroAccuracy = 0.8, LogLoss = 0.5,
            Classes = ["a", "b"], PerClass = [], ConfusionMatrix = [[10, 0], [4, 6]], Examples = [], SkippedFiles = 0,
        };
        await store.CompleteAsync(id, result, new RunSeries([], []), DateTimeOffset.UtcNow);
        return id;
    }

    public static TheoryData<string> Lessons =>
        new(new LessonCatalog(Path.Combine(AppContext.BaseDirectory, "lessons")).All.Select(l => l.Slug));

    [Theory]
    [MemberData(nameof(Lessons))]
    public void Lesson_RendersItsHeadingFiguresLiveElementsAndQuestions(string slug)
    {
        var lesson = Services.GetRequiredService<LessonCatalog>().Find(slug)!;
        var cut = Render<LessonPage>(p => p.Add(c => c.Slug, slug));
        cut.WaitForAssertion(() => Assert.Equal(lesson.Title, cut.Find("h1").TextContent));
        Assert.Single(cut.FindAll("h1"));
        Assert.Equal(lesson.Blocks.OfType<FigureBlock>().Count(), cut.FindAll("[data-testid=lesson-figure] img[alt]").Count);
        Assert.Equal(lesson.Blocks.Count(b => b is TryItBlock or DemoBlock), cut.FindAll("[data-testid=try-it]").Count);
        Assert.Equal(lesson.Questions.Count(), cut.FindAll("[data-testid=check-question]").Count);
        Assert.Contains(lesson.Goals[0], cut.Find(".lesson-goals").TextContent);
        Assert.Contains(lesson.Recap[^1], cut.Find(".lesson-recap").TextContent);
        cut.WaitForAssertion(() => Assert.True(Progress.State.Read.Contains(slug))); // opening a lesson marks it read
    }

    [Fact]
    public void CheckQuestion_ChoosingAnAnswer_ShowsWhetherItIsRightAndWhy_AndIsRemembered()
    {
        var cut = Render<LessonPage>(p => p.Add(c => c.Slug, "sequential-and-parallel"));
        var question = cut.Find("[data-question=cube]");
        question.QuerySelectorAll("[data-testid=check-answer]")[1].Click(); // "Twice as much."
        cut.WaitForAssertion(() =>
        {
            var explanation = cut.Find("[data-question=cube] [data-testid=check-explanation]");
            Assert.Equal("no", explanation.GetAttribute("data-correct"));
            Assert.Contains("2 × 2 × 2 = 8", explanation.TextContent);
        });
        cut.Find("[data-question=cube]").QuerySelectorAll("[data-testid=check-answer]")[0].Click();
        cut.WaitForAssertion(() => Assert.Equal("yes", cut.Find("[data-question=cube] [data-testid=check-explanation]").GetAttribute("data-correct")));
        Assert.Equal(0, Progress.State.Answers["sequential-and-parallel/cube"]);
    }

    [Fact]
    public async Task LessonsPage_ShowsLessonsReadAndQuestionsAnsweredRight()
    {
        var catalog = Services.GetRequiredService<LessonCatalog>();
        await Progress.SaveAsync(new ProgressState(new HashSet<string> { "cpu-and-gpu", "transfer-learning" },
            new Dictionary<string, int> { ["cpu-and-gpu/throughput"] = 0, ["cpu-and-gpu/latency"] = 1 }));
        var cut = Render<LessonsPage>();
        cut.WaitForAssertion(() => Assert.Contains($"2 of {catalog.All.Count} read", cut.Find("#lesson-progress").TextContent));
        Assert.Contains("1 of", cut.Find("#lesson-progress").TextContent);
        Assert.Contains("1/3 right (1 to retry)", cut.Find("[data-checks=cpu-and-gpu]").TextContent);
    }

    [Fact]
    public void GpuCalculator_PrefillsFromTheReference_AndWorksOutTimeAndCost()
    {
        var cut = Render<GpuCalculatorDemo>();
        cut.WaitForAssertion(() => Assert.Contains("On the CPU:", cut.Find("#calc-result").TextContent));
        Assert.Contains("NVIDIA H200", cut.Markup); // no GPU run here: the labelled reference speed
        Assert.Contains("$", cut.Find("#calc-result").TextContent);
    }

    /// <summary>Lesson 8's panel: a pasted result is checked, kept (here in the stand-in for the browser) and shown as the learner's card; the calculator offers it first.</summary>
    [Fact]
    public void MyGpuPanel_APastedResult_IsKeptAndShownAsTheLearnersCard_AndTheCalculatorOffersIt()
    {
        var panel = Render<LearnDL.Web.Features.MyGpu.MyGpuPanel>();
        var calculator = Render<GpuCalculatorDemo>();
        Assert.Equal(LearnDL.Web.Features.MyGpu.GpuNotebookEndpoint.Path, panel.Find("[data-testid=gpu-notebook]").GetAttribute("href"));
        panel.Find("[data-testid=gpu-result-input]").Input("{\"learndl\": \"something else\"}");
        panel.Find("#gpu-result-keep").Click();
        panel.WaitForAssertion(() => Assert.Contains("not a LearnDL GPU result", panel.Find("#gpu-result-problems").TextContent));
        Assert.Null(MyGpu.Gpu);

        panel.Find("[data-testid=gpu-result-input]").Input(MyGpuTests.T4Result);
        panel.Find("#gpu-result-keep").Click();
        panel.WaitForAssertion(() => Assert.Contains("Tesla T4", panel.Find("[data-testid=my-gpu]").TextContent));
        Assert.Contains("measured by you", panel.Find("[data-testid=my-gpu]").TextContent);
        Assert.Equal("Tesla T4", MyGpu.Gpu?.Name);
        calculator.WaitForAssertion(() => Assert.Contains("measured by you on Tesla T4", calculator.Markup));

        panel.Find("#gpu-result-forget").Click();
        panel.WaitForAssertion(() => Assert.Empty(panel.FindAll("[data-testid=my-gpu]")));
        Assert.Null(MyGpu.Gpu);
    }

    /// <summary>/instructor's table of the class's cards, beside the reference.</summary>
    [Fact]
    public async Task ClassGpusPanel_ListsTheCardsStudentsMeasured()
    {
        var factory = Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<LearnDL.Web.Data.LearnDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            db.Students.Add(new LearnDL.Web.Data.StudentRecord { Id = "s1", DisplayName = "Ada", NormalizedName = "ADA", CreatedAt = DateTimeOffset.UtcNow, LastSeenAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        await new LearnDL.Web.Features.MyGpu.StudentGpuStore(factory, "s1").SaveAsync(LearnDL.Web.Features.MyGpu.GpuResultParser.Parse(MyGpuTests.T4Result).Gpu!);
        var cut = Render<LearnDL.Web.Features.Instructor.ClassGpusPanel>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=class-gpus] tbody tr").Count));
        var rows = cut.FindAll("[data-testid=class-gpus] tbody tr");
        Assert.Contains("Ada", rows[0].TextContent);
        Assert.Contains("Tesla T4", rows[0].TextContent);
        Assert.Contains("1,100", rows[0].TextContent);
        Assert.Contains("NVIDIA H200", rows[1].TextContent);
    }
}
