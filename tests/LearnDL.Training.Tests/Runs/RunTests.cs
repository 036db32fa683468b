using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Featurization;
using LearnDL.Training.Runs;
using SkiaSharp;

namespace LearnDL.Training.Tests;

/// <summary>One real run on the built-in tiles, shared by the tests that read its result.</summary>
public sealed class BuiltinRunFixture : IAsyncLifetime
{
    public TempFolder Temp { get; } = new();
    public RunResult Result { get; private set; } = null!;
    public List<RunEvent> Events { get; } = [];
    /// <summary>For each featurization progress report: whether it came from a thread of the thread pool.</summary>
    public List<bool> FeaturizedOnPool { get; } = [];
    public string ModelPath => Temp.Combine("model.zip");

    public async Task InitializeAsync()
    {
        var engine = new RunEngine(TestData.Catalog(Temp.Path), new DeviceProbe());
        var progress = new InlineProgress<RunEvent>(e =>
        {
            lock (Events)
            {
                Events.Add(e);
                if (e is ImagesFeaturized) FeaturizedOnPool.Add(Thread.CurrentThread.IsThreadPoolThread);
            }
        });
        Result = await engine.RunAsync(new RunOptions { Dataset = "builtin", Images = 60, Epochs = 3, Device = DeviceRequest.Cpu, Seed = 2, SaveModelPath = ModelPath }, progress);
    }

    public Task DisposeAsync() { Temp.Dispose(); return Task.CompletedTask; }
}

public class RunTests(BuiltinRunFixture run) : IClassFixture<BuiltinRunFixture>
{
    [Fact]
    public void Run_Builtin_LearnsWellAboveChanceOnHeldOutImages()
    {
        Assert.Equal(60, run.Result.Images);
        Assert.Equal(50, run.Result.TrainImages);
        Assert.Equal(10, run.Result.TestImages);
        // Five classes: chance is 0.2.
        Assert.True(run.Result.MicroAccuracy >= 0.75, $"held-out accuracy {run.Result.MicroAccuracy}");
        Assert.Equal(5, run.Result.ConfusionMatrix.Count);
        Assert.Equal(10, run.Result.ConfusionMatrix.Sum(r => r.Sum()));
        Assert.Equal(5, run.Result.PerClass.Count);
    }

    [Fact]
    public void Run_ReportsOneMetricsEventPerEpoch_InOrder()
    {
        var epochs = run.Events.OfType<EpochCompleted>().Select(e => e.Metrics.Epoch).ToList();
        Assert.Equal([1, 2, 3], epochs);
        Assert.Equal(3, run.Result.Epochs.Count);
        Assert.All(run.Result.Epochs, e => Assert.InRange(e.TestAccuracy, 0, 1));
        Assert.All(run.Result.Epochs, e => Assert.True(e.TrainLogLoss > 0));
    }

    [Fact]
    public void Run_ReportsStagesProgressAndTimings()
    {
        var stages = run.Events.OfType<StageStarted>().Select(s => s.Stage).ToList();
        Assert.Equal([RunStage.Prepare, RunStage.Featurize, RunStage.Train, RunStage.Evaluate], stages);
        var progress = run.Events.OfType<ImagesFeaturized>().ToList();
        Assert.Equal(60, progress[^1].Done);
        Assert.True(progress.Select(p => p.Done).SequenceEqual(progress.Select(p => p.Done).Order()));
        Assert.Equal(["prepare", "decode", "resize", "featurize", "train", "evaluate"], run.Result.Stages.Select(s => s.Name));
        Assert.All(run.Result.Stages, s => Assert.True(s.Seconds >= 0));
        Assert.True(run.Result.FeaturizeImagesPerSecond > 0);
        Assert.Equal("cpu", run.Result.Device);
        Assert.Equal("cpu", run.Result.RuntimeBuild);
        Assert.NotEmpty(run.Result.Examples);
        Assert.All(run.Result.Examples, e => Assert.NotNull(e.ThumbnailPng));
    }

    [Fact]
    public void Run_Featurizes_OnThreadsOfItsOwn_LeavingTheThreadPoolToTheServer()
    {
        // Reported inline by the network calls: each report was made on the thread that had just run a batch.
        Assert.NotEmpty(run.FeaturizedOnPool);
        Assert.All(run.FeaturizedOnPool, Assert.False);
    }

    [Fact]
    public void SavedModel_Reloads_AndClassifiesANewImage()
    {
        using var classifier = ImageClassifier.Load(run.ModelPath);
        Assert.Equal(AerialTileGenerator.ClassNames, classifier.Classes);
        // Tiles the run never saw (index 1500+): most must come back right.
        int right = 0;
        for (int c = 0; c < 5; c++)
            for (int i = 0; i < 2; i++)
            {
                using var tile = AerialTileGenerator.Draw(c, 1500 + i);
                var scores = classifier.Classify(tile);
                Assert.Equal(1, scores.Sum(s => s.Probability), 3);
                if (scores[0].Label == AerialTileGenerator.ClassNames[c]) right++;
            }
        Assert.True(right >= 7, $"{right}/10 right");
    }

    /// <summary>Issue 26: a screenshot shown to a tile classifier still gets a class, but the learner is told it is a guess.</summary>
    [Fact]
    public void SavedModel_SaysWhenAPictureIsUnlikeTheTrainingData()
    {
        using var classifier = ImageClassifier.Load(run.ModelPath);
        // Tiles the run never saw are like its training data: at most one may fall beyond the farthest of the 10 held out.
        var unlikeTiles = 0;
        for (int c = 0; c < 5; c++)
            for (int i = 0; i < 2; i++)
            {
                using var tile = AerialTileGenerator.Draw(c, 1500 + i);
                var likeness = classifier.Examine(tile).Likeness!;
                Assert.Equal(10, likeness.HeldOutImages);
                if (likeness.IsUnlikeTrainingData) unlikeTiles++;
                else Assert.Null(likeness.Warning);
            }
        Assert.True(unlikeTiles <= 1, $"{unlikeTiles}/10 unseen tiles called unlike the training data");

        using var screenshot = SKBitmap.Decode(Testing.HostilePictures.WebPageScreenshot());
        using var blank = new SKBitmap(300, 200);
        blank.Erase(SKColors.White);
        foreach (var picture in new[] { screenshot, blank })
        {
            var (scores, likeness) = classifier.Examine(picture);
            Assert.Equal(5, scores.Count); // it still answers with one of its classes...
            Assert.True(likeness!.IsUnlikeTrainingData, $"{likeness.Ratio:0.00}x the farthest held-out picture"); // ...and says it is a guess
            Assert.Contains(likeness.NearestClass, AerialTileGenerator.ClassNames);
            Assert.StartsWith("This picture is unlike anything the model was trained on", likeness.Warning);
            Assert.Contains("10 held-out pictures", likeness.Warning);
        }
    }
}

public class RunFailureTests
{
    [Fact]
    public async Task Run_GpuOnCpuBuild_FailsBeforeWorkWithRebuildHint()
    {
        using var temp = new TempFolder();
        var engine = new RunEngine(TestData.Catalog(temp.Path), new DeviceProbe(new RuntimeBuild("cpu")));
        var error = await Assert.ThrowsAsync<DeviceUnavailableException>(() =>
            engine.RunAsync(new RunOptions { Images = 20, Device = DeviceRequest.Gpu }));
        Assert.Contains("CPU build", error.Message);
        Assert.Contains("-p:RuntimeBuild=gpu", error.Message);
        Assert.False(Directory.Exists(temp.Combine("datasets")), "no work may start");
    }

    [Fact]
    public async Task Run_GivenTheGpuOnCpuBuild_FailsBeforeWork_WithTheProbesWords()
    {
        using var temp = new TempFolder();
        var engine = new RunEngine(TestData.Catalog(temp.Path), new DeviceProbe(new RuntimeBuild("cpu")));
        // A worker handed a GPU run (the queue chose the GPU elsewhere) checks the device it is given, and says why not.
        var error = await Assert.ThrowsAsync<DeviceUnavailableException>(() =>
            engine.RunAsync(new RunOptions { Images = 20 }, new DeviceChoice(ComputeDevice.Gpu, "The queue chose the GPU.")));
        Assert.Contains("-p:RuntimeBuild=gpu", error.Message);
        Assert.False(Directory.Exists(temp.Combine("datasets")), "no work may start");
    }

    [Fact]
    public void Auto_OnCpuBuild_FallsBackToCpuWithReason()
    {
        var choice = new DeviceProbe(new RuntimeBuild("cpu")).Choose(DeviceRequest.Auto);
        Assert.Equal(ComputeDevice.Cpu, choice.Device);
        Assert.Contains("fell back to the CPU", choice.Reason);
        Assert.Contains("CPU build", choice.Reason);
    }

    [Fact]
    public void Probe_OnGpuBuildWithoutCuda_NamesWhatIsMissing()
    {
        // This machine has no NVIDIA driver: the probe must say so, not trust the compiled-in provider list.
        var probe = new DeviceProbe(new RuntimeBuild("gpu"));
        Assert.False(probe.Report.CudaUsable);
        Assert.Contains("libcuda.so.1", probe.Report.CudaStatus);
        var error = Assert.Throws<DeviceUnavailableException>(() => probe.Choose(DeviceRequest.Gpu));
        Assert.Contains("CUDA cannot be used", error.Message);
        Assert.Equal(ComputeDevice.Cpu, probe.Choose(DeviceRequest.Auto).Device);
    }

    [Fact]
    public void Probe_DescribesThisMachine()
    {
        var report = new DeviceProbe().Report;
        Assert.Equal(Environment.ProcessorCount, report.LogicalCores);
        Assert.False(string.IsNullOrWhiteSpace(report.CpuModel));
        Assert.True(report.MemoryTotalBytes > 0);
        Assert.Contains("CPUExecutionProvider", report.ProvidersCompiledIn);
        Assert.Contains(report.Advice, a => a.Contains("Colab"));
    }

    [Fact]
    public async Task Run_Cancelled_DuringFeaturization_StopsPromptlyAndSaysHowFar()
    {
        using var temp = new TempFolder();
        var engine = new RunEngine(TestData.Catalog(temp.Path), new DeviceProbe());
        using var cancel = new CancellationTokenSource();
        var cancelledAt = DateTime.MaxValue;
        var progress = new InlineProgress<RunEvent>(e =>
        {
            if (e is ImagesFeaturized && !cancel.IsCancellationRequested) { cancelledAt = DateTime.UtcNow; cancel.Cancel(); }
        });
        var error = await Assert.ThrowsAsync<RunCancelledException>(() =>
            engine.RunAsync(new RunOptions { Images = 400, Epochs = 1, Device = DeviceRequest.Cpu }, progress, cancel.Token));
        Assert.True(DateTime.UtcNow - cancelledAt < TimeSpan.FromSeconds(1.5), "stops within about a second");
        Assert.Equal(RunStage.Featurize, error.Stage);
        Assert.InRange(error.ImagesFeaturized, 1, 399);
        Assert.Contains("images had been featurized", error.Message);
    }

    [Fact]
    public async Task Run_CorruptFiles_AreSkippedAndCounted()
    {
        using var temp = new TempFolder();
        var root = temp.Combine("shapes");
        TestData.WriteFolderDataset(root, new Dictionary<string, SKColor> { ["red"] = SKColors.Red, ["blue"] = SKColors.Blue }, 8);
        File.WriteAllText(Path.Combine(root, "red", "broken.png"), "this is not a png");
        File.WriteAllBytes(Path.Combine(root, "blue", "empty.jpg"), []);
        var engine = new RunEngine(TestData.Catalog(temp.Path), new DeviceProbe());
        var result = await engine.RunAsync(new RunOptions { Dataset = "folder:" + root, Images = 18, Epochs = 1, Device = DeviceRequest.Cpu });
        Assert.Equal(2, result.SkippedFiles);
        Assert.Equal(16, result.Images);
        Assert.Contains(result.Skipped, s => s.Source.EndsWith("broken.png") && s.Reason.Length > 0);
        Assert.Equal(1.0, result.MicroAccuracy);
    }

    [Fact]
    public async Task Run_OnlyUndecodableFilesInOneClass_IsRefusedAfterSkipping()
    {
        using var temp = new TempFolder();
        var root = temp.Combine("half");
        TestData.WriteFolderDataset(root, new Dictionary<string, SKColor> { ["red"] = SKColors.Red }, 4);
        Directory.CreateDirectory(Path.Combine(root, "blue"));
        File.WriteAllText(Path.Combine(root, "blue", "fake.png"), "nope");
        var engine = new RunEngine(TestData.Catalog(temp.Path), new DeviceProbe());
        var error = await Assert.ThrowsAsync<DatasetException>(() =>
            engine.RunAsync(new RunOptions { Dataset = "folder:" + root, Images = 5, Epochs = 1, Device = DeviceRequest.Cpu }));
        Assert.Contains("only one class", error.Message);
        Assert.Contains("1 file could not be decoded", error.Message);
    }

    [Fact]
    public void Options_OutOfRange_AreExplained()
    {
        var errors = new RunOptions { Images = 2, Epochs = 0, TestFraction = 1.5 }.Validate();
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void ResNet18_BatchedFeatures_EqualOneAtATime()
    {
        using var model = new ResNet18Model(ComputeDevice.Cpu);
        var preprocessor = new ImagePreprocessor();
        var pixels = new float[3 * ResNet18Model.PixelsPerImage];
        for (int i = 0; i < 3; i++)
        {
            using var tile = AerialTileGenerator.Draw(i, 0);
            preprocessor.Write(tile, pixels.AsSpan(i * ResNet18Model.PixelsPerImage, ResNet18Model.PixelsPerImage));
        }
        var batched = new float[3 * ResNet18Model.FeatureCount];
        model.Featurize(pixels, 3, batched);
        var single = new float[ResNet18Model.FeatureCount];
        model.Featurize(pixels[(2 * ResNet18Model.PixelsPerImage)..], 1, single);
        for (int f = 0; f < ResNet18Model.FeatureCount; f++)
            Assert.Equal(single[f], batched[2 * ResNet18Model.FeatureCount + f], 3);
        Assert.Contains(batched, v => v > 0);
    }

    [Fact]
    public async Task Featurize_SeveralBatchesAtOnce_GivesTheSameRowsInSampleOrder_WithSkippedFilesCounted()
    {
        using var temp = new TempFolder();
        var root = temp.Combine("mixed");
        TestData.WriteFolderDataset(root, new Dictionary<string, SKColor> { ["red"] = SKColors.Red, ["blue"] = SKColors.Blue, ["green"] = SKColors.Green }, 9);
        File.WriteAllText(Path.Combine(root, "green", "004.png"), "not an image any more");
        var samples = new FolderDataset(root).Select(27, 3).Samples;
        using var model = new ResNet18Model(ComputeDevice.Cpu, threads: 1);

        var one = await new FeatureExtractor(model, 4, batchesInFlight: 1).RunAsync(samples, null, CancellationToken.None);
        var reports = new List<FeaturizeProgress>();
        var three = await new FeatureExtractor(model, 4, batchesInFlight: 3).RunAsync(samples, new InlineProgress<FeaturizeProgress>(p => { lock (reports) reports.Add(p); }), CancellationToken.None);

        Assert.Equal(one.SampleIndices, three.SampleIndices);
        Assert.Equal(Enumerable.Range(0, 27).Where(i => !samples[i].Source.EndsWith("004.png") || !samples[i].Source.Contains("green")), three.SampleIndices);
        Assert.Single(three.Skipped);
        for (int i = 0; i < one.Features.Length; i++) Assert.Equal(one.Features[i], three.Features[i], 3);
        Assert.Equal(reports.Select(r => r.Done).Order(), reports.Select(r => r.Done)); // never goes backwards
        Assert.Equal(27, reports[^1].Done);
    }
}
