using Bunit;
using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Datasets;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.Features.Shared;
using LearnDL.Web.Live;
using LearnDL.Web.RunService;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace LearnDL.Web.Tests;

/// <summary>
/// What a learner sees of a run while it goes: light SVG charts that grow, nothing drawn while the tab
/// is hidden (and the latest state once it is shown again), Plotly's full charts once the run is done.
/// </summary>
public class LiveRunViewTests : RunServiceContext
{
    private readonly Guid _id = Guid.NewGuid();

    public LiveRunViewTests()
    {
        Services.AddSingleton<RunClassifier>();
        // The picture box on a finished run classifies as its viewer, the owner the cookie gives every browser.
        var learner = LearnDL.Web.Identity.RunOwner.NewLearner();
        AddAuthorization().SetAuthorized(learner.Name).SetClaims(learner.ToPrincipal("test").Claims.ToArray());
        Services.AddScoped<LearnDL.Web.Identity.CurrentOwner>();
    }

    private RunLifecycle Hub => Services.GetRequiredService<RunLifecycle>();
    private LiveUpdates Updates => Services.GetRequiredService<LiveUpdates>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Services.GetRequiredService<RunStore>().AddAsync(new RunRecord
        {
            Id = _id, CreatedAt = DateTimeOffset.UtcNow, Status = RunStatus.Running, Dataset = "builtin", Images = 40, Epochs = 2, DeviceRequested = "cpu",
        });
        Hub.Queued(_id, new LearnDL.Training.Compute.DeviceChoice(LearnDL.Training.Compute.ComputeDevice.Cpu, "The CPU was requested."), 1);
        await Hub.StartAsync(_id, new LearnDL.Training.Compute.DeviceChoice(LearnDL.Training.Compute.ComputeDevice.Cpu, "The CPU was requested."));
        Hub.Report(_id, new StageStarted(TimeSpan.FromSeconds(1), RunStage.Featurize, "40 images"));
        Hub.Report(_id, new ImagesFeaturized(TimeSpan.FromSeconds(2), 10, 40, 0, 12.5));
    }

    [Fact]
    public void LiveRun_WhileRunning_DrawsItsChartsAsSvgThatGrow_AndLoadsNoPlotly()
    {
        var cut = Render<LiveRunView>(p => p.Add(c => c.RunId, _id));
        cut.WaitForAssertion(() => Assert.Contains("10 / 40 images", cut.Markup));

        Assert.Empty(cut.FindComponents<ChartView>());
        Assert.Equal(["throughput", "images", "epochs"], cut.FindAll("[data-testid=live-chart]").Select(f => f.GetAttribute("data-chart")));
        Assert.Equal("1", cut.Find("[data-chart=throughput]").GetAttribute("data-points"));
        Assert.Single(cut.FindAll("[data-chart=throughput] polyline"));

        // The first point is followed by the next (the charts are rebuilt at most once a second, at once on an epoch).
        Hub.Report(_id, new ImagesFeaturized(TimeSpan.FromSeconds(3), 30, 40, 0, 15));
        Hub.Report(_id, new EpochCompleted(TimeSpan.FromSeconds(4), new EpochMetrics(1, 0.9, 0.3, 0.85, 0.4)));
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("30 / 40 images", cut.Markup);
            Assert.Equal("2", cut.Find("[data-chart=throughput]").GetAttribute("data-points"));
            Assert.Equal(4, cut.FindAll("[data-chart=epochs] polyline").Count);
        }, TimeSpan.FromSeconds(5));
        Assert.Contains("Images per second while featurizing: 15.0", cut.Find("[data-chart=throughput] figcaption").TextContent);

        // Plotly (megabytes of script for the browser to run) is not asked for while the run goes.
        Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier == "import" && i.Arguments.FirstOrDefault() is string s && s.Contains("plotly"));
    }

    [Fact]
    public async Task LiveRun_HiddenTab_DrawsNoProgress_ThenCatchesUpWhenShown()
    {
        var cut = Render<LiveRunView>(p => p.Add(c => c.RunId, _id));
        cut.WaitForAssertion(() => Assert.Contains("10 / 40 images", cut.Markup));
        Assert.Contains(JSInterop.Invocations, i => i.Identifier == "import" && i.Arguments[0] as string == "./js/page-visibility.js");

        await cut.InvokeAsync(() => cut.Instance.OnVisibilityChanged(false));
        var renders = cut.RenderCount;
        var delivered = new TaskCompletionSource();
        using var other = Updates.Watch(_id, () => { delivered.TrySetResult(); return Task.CompletedTask; });
        Hub.Report(_id, new ImagesFeaturized(TimeSpan.FromSeconds(3), 30, 40, 0, 15));
        await delivered.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(LiveRunView.LiveInterval); // the page's own watcher has been called by now too
        Assert.Equal(renders, cut.RenderCount);
        Assert.Contains("10 / 40 images", cut.Markup);

        await cut.InvokeAsync(() => cut.Instance.OnVisibilityChanged(true));
        cut.WaitForAssertion(() => Assert.Contains("30 / 40 images", cut.Markup));
    }

    [Fact]
    public async Task LiveRun_HiddenTab_StillShowsTheRunFinishing_WithItsFullCharts()
    {
        var cut = Render<LiveRunView>(p => p.Add(c => c.RunId, _id));
        cut.WaitForAssertion(() => Assert.Contains("10 / 40 images", cut.Markup));
        await cut.InvokeAsync(() => cut.Instance.OnVisibilityChanged(false));

        Hub.Report(_id, new EpochCompleted(TimeSpan.FromSeconds(4), new EpochMetrics(1, 0.9, 0.3, 0.85, 0.4)));
        await Hub.CompleteAsync(_id, Result());

        // A change of state is drawn even when hidden (a parent acts on it); the charts become Plotly's, with every point.
        cut.WaitForAssertion(() => Assert.Equal("Completed", cut.Find("[data-status]").GetAttribute("data-status")), TimeSpan.FromSeconds(5));
        Assert.Empty(cut.FindAll("[data-testid=live-chart]"));
        var charts = cut.FindComponents<ChartView>().Select(c => c.Instance.Model.Key.Split(':')[0]).ToList();
        Assert.Equal(["throughput", "images", "epochs", "stages", "confusion"], charts);
        var epochs = cut.FindComponents<ChartView>()[2].Instance.Model.Data.Cast<Plotly.Blazor.Traces.Scatter>().ToList();
        Assert.Equal([0.85], epochs[1].Y.Cast<double>());
        Assert.Equal("0.850", cut.Find("[data-accuracy]").GetAttribute("data-accuracy"));
    }

    [Fact]
    public async Task LiveRun_Closed_LeavesNoSubscriptionAndStopsWatchingTheTab()
    {
        var cut = Render<LiveRunView>(p => p.Add(c => c.RunId, _id));
        cut.WaitForAssertion(() => Assert.Equal(1, Updates.WatcherCount(_id)));
        await DisposeComponentsAsync();
        Assert.Equal(0, Updates.WatcherCount(_id));
    }

    private static RunResult Result() => new()
    {
        Dataset = "builtin", Images = 40, TrainImages = 32, TestImages = 8, Device = "cpu", DeviceReason = "asked", RuntimeBuild = "cpu", BatchSize = 8,
        Epochs = [new(1, 0.9, 0.3, 0.85, 0.4)], Stages = [new("featurize", 3), new("train", 1)], TotalSeconds = 5, FeaturizeWallSeconds = 3,
        FeaturizeImagesPerSecond = 13, ImagesPerSecond = 8, MicroAccuracy = 0.85, MacroAccuracy = 0.85, LogLoss = 0.4, Classes = ["a", "b"], PerClass = [],
        ConfusionMatrix = [[4, 0], [1, 3]], Examples = [], SkippedFiles = 0,
    };
}
