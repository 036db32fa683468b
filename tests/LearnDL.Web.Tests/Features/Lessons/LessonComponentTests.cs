using Bunit;
using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Datasets;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Features.Lessons.Demos;
using LearnDL.Web.RunService;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace LearnDL.Web.Tests;

/// <summary>The second edition's interactive pieces rendered with bUnit over the real run store: predictions, the explorers, the glossary.</summary>
public class LessonComponentTests : RunServiceContext
{
    public LessonComponentTests()
    {
        Services.AddSingleton(new LessonCatalog(Path.Combine(AppContext.BaseDirectory, "lessons")));
        Services.AddSingleton(GpuReference.Load(Path.Combine(AppContext.BaseDirectory, "gpu-reference.json")));
        Services.AddSingleton<MeasuredSpeeds>();
    }

    [Fact]
    public void PredictBox_TakesAGuessOnlyBeforeTheMeasurement_ThenComparesIt()
    {
        var cut = Render<PredictBox>(p => p.Add(c => c.Id, "t").Add(c => c.Question, "how many seconds?").Add(c => c.Unit, "seconds"));
        cut.Find("[data-testid=predict-commit]").Click(); // nothing typed yet
        Assert.Contains("That is not a number", cut.Find(".predict-state").TextContent);
        Assert.False(cut.Find("[data-testid=predict-input]").HasAttribute("disabled"));
        cut.Find("[data-testid=predict-input]").Input("12");
        cut.Find("[data-testid=predict-commit]").Click();
        Assert.True(cut.Find("[data-testid=predict-input]").HasAttribute("disabled"));
        Assert.Empty(cut.FindAll("[data-testid=predict-reveal]"));
        cut.Render(p => p.Add(c => c.Locked, true).Add(c => c.Measured, 48.0));
        var reveal = cut.Find("[data-testid=predict-reveal]");
        Assert.Equal("You predicted 12 seconds; this server measured 48 seconds. Your guess was 4 times too low.", reveal.TextContent.Trim());
        Assert.Equal("no", reveal.GetAttribute("data-close"));
    }

    [Fact]
    public void PredictBox_WithoutACommittedGuess_StillShowsTheMeasurement_AndClosesGuessing()
    {
        var cut = Render<PredictBox>(p => p.Add(c => c.Id, "t").Add(c => c.Question, "what share?").Add(c => c.Unit, "%").Add(c => c.Locked, true));
        Assert.True(cut.Find("[data-testid=predict-input]").HasAttribute("disabled"));
        cut.Render(p => p.Add(c => c.Measured, 37.5));
        Assert.Contains("No guess was committed", cut.Find("[data-testid=predict-reveal]").TextContent);
        Assert.Contains("37.5%", cut.Find("[data-testid=predict-reveal]").TextContent);
    }

    [Fact]
    public void PredictionMetrics_ReadTheFigureTheReaderGuessedFromTheRunsResult()
    {
        var result = Result(total: 20, stages: [new("prepare", 1), new("decode", 3), new("resize", 1), new("featurize", 16), new("train", 2), new("evaluate", 1)]);
        Assert.Equal(20, PredictionMetrics.Find("total-seconds")!.Measure(result));
        Assert.Equal(80, PredictionMetrics.Find("featurize-share")!.Measure(result));
        Assert.Equal(25, PredictionMetrics.Find("decode-share")!.Measure(result));
        Assert.Equal(85, PredictionMetrics.Find("accuracy")!.Measure(result)!.Value, 9);
    }

    [Fact]
    public async Task AmdahlExplorer_StartsFromThisServersLastRun_AndFollowsItsSliders()
    {
        var empty = Render<AmdahlExplorer>();
        empty.WaitForAssertion(() => Assert.Contains("An example run", empty.Find("#amdahl-source").TextContent));

        await CompleteRunAsync(total: 20, stages: [new("prepare", 1), new("decode", 3), new("resize", 1), new("featurize", 15), new("train", 3), new("evaluate", 1)]);
        var cut = Render<AmdahlExplorer>();
        cut.WaitForAssertion(() => Assert.Contains("Preset with this server's last CPU run: 100 images", cut.Find("#amdahl-source").TextContent));
        Assert.Equal("75%", cut.Find("#amdahl-part-value").TextContent); // 15 s of 20 in the network
        cut.Find("#amdahl-part").Input("50");
        cut.Find("#amdahl-speedup").Input(AmdahlSliders.StepFor(1000).ToString());
        var result = cut.Find("#amdahl-result").TextContent;
        Assert.Contains("2× faster", result);                       // 1 / (0.5 + 0.0005)
        Assert.Contains("caps the run at 2×", result);
        Assert.Contains("(2× faster with 50% of the time sped up 1000×)", cut.Find("[data-chart=amdahl] .chart-summary").TextContent);
    }

    [Fact]
    public async Task AccuracyNoise_StartsFromTheLastRunsHeldOutImages_AndRecomputes()
    {
        await CompleteRunAsync(total: 20, stages: [new("featurize", 15)]);
        var cut = Render<AccuracyNoiseDemo>();
        cut.WaitForAssertion(() => Assert.Contains("On 20 held-out images each one is worth 5 points", cut.Find("#noise-result").TextContent));
        cut.Find("#noise-images").Input("2000");
        Assert.Contains("narrow enough", cut.Find("#noise-result").TextContent);
    }

    [Fact]
    public void GlossaryPage_ListsEveryTermWithTheLessonThatExplainsIt()
    {
        var catalog = Services.GetRequiredService<LessonCatalog>();
        var cut = Render<GlossaryPage>();
        Assert.Equal(catalog.Glossary.Terms.Count, cut.FindAll("[data-testid=glossary] dt").Count);
        Assert.Contains("lesson 3, What happens in one training step", cut.Find("#epoch").TextContent);
    }

    private static RunResult Result(double total, IReadOnlyList<StageTiming> stages) => new()
    {
        Dataset = "builtin", Images = 100, TrainImages = 80, TestImages = 20, Device = "cpu", DeviceReason = "asked", RuntimeBuild = "cpu", BatchSize = 8,
        Epochs = [], Stages = stages, TotalSeconds = total, FeaturizeWallSeconds = 15, FeaturizeImagesPerSecond = 100 / 15.0, ImagesPerSecond = 5,
        MicroAccuracy = 0.85, MacroAccuracy = 0.85, LogLoss = 0.4, Classes = ["a", "b"], PerClass = [], ConfusionMatrix = [[9, 1], [2, 8]],
        Examples = [], SkippedFiles = 0,
    };

    private async Task CompleteRunAsync(double total, IReadOnlyList<StageTiming> stages)
    {
        var store = Services.GetRequiredService<RunStore>();
        var id = Guid.NewGuid();
        await store.AddAsync(new RunRecord
        {
            Id = id, OwnerId = "someone", CreatedAt = DateTimeOffset.UtcNow, Status = RunStatus.Running,
            Dataset = "builtin", Images = 100, Epochs = 1, DeviceRequested = "cpu", Seed = 1,
        });
        await store.CompleteAsync(id, Result(total, stages), new RunSeries([], []), DateTimeOffset.UtcNow);
    }
}
