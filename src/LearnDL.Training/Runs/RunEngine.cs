using System.Diagnostics;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Featurization;
using LearnDL.Training.Precision;
using LearnDL.Training.Text;
using Microsoft.ML;
using SkiaSharp;

namespace LearnDL.Training.Runs;

/// <summary>
/// A transfer-learning run: choose images, featurize them once with the pretrained ResNet18 on the
/// chosen device, train an ML.NET head on the cached features epoch by epoch, evaluate on held-out
/// images. The CLI, the web app and the tests all run this same code.
/// </summary>
public sealed class RunEngine(DatasetCatalog catalog, DeviceProbe probe, NetworkCache networks)
{
    /// <summary>An engine with its own network cache (the CLI, a test): the network is loaded once for its runs.</summary>
    public RunEngine(DatasetCatalog catalog, DeviceProbe probe) : this(catalog, probe, new NetworkCache()) { }

    public const int CpuBatchSize = 8;
    /// <summary>32 per call, two calls in flight (lessons 2 and 9 quote this figure).</summary>
    public const int GpuBatchSize = 32;
    private const int ExampleCount = 8;
    private static readonly TimeSpan CpuWindow = TimeSpan.FromSeconds(1);

    /// <summary>A run alone (the command line, a test): the device is chosen here, once, from the one the options ask for.</summary>
    public Task<RunResult> RunAsync(RunOptions options, IProgress<RunEvent>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(options, probe.Choose(options.Device), progress, cancellationToken);

    /// <summary>
    /// Runs on the device it is given, chosen once by whoever admitted the run (the web app's queue, with its reason,
    /// which the result keeps); <see cref="RunOptions.Device"/> is not asked again. A device this machine cannot use
    /// fails here, before any work, saying what is missing.
    /// </summary>
    public async Task<RunResult> RunAsync(RunOptions options, DeviceChoice device, IProgress<RunEvent>? progress = null, CancellationToken cancellationToken = default)
    {
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors));
        // Device and dataset problems fail here, before any work.
        probe.Require(device.Device);
        var dataset = catalog.Open(options.Dataset);

        var clock = Stopwatch.StartNew();
        var stage = RunStage.Prepare;
        int featurized = 0;
        // A span per stage under the run's span, when the run is traced (the web app or a worker); none from the CLI.
        using var stages = new RunTracing.Stages(Activity.Current?.Context ?? default);
        void Enter(RunStage next, string detail)
        {
            stage = next;
            stages.Enter(next);
            progress?.Report(new StageStarted(clock.Elapsed, next, detail));
        }
        try
        {
            var parallelism = FeaturizeParallelism.For(device.Device);
            var network = options.Precision == NetworkPrecision.Int8 && !networks.Has(device.Device, parallelism.ThreadsPerCall, NetworkPrecision.Int8)
                && !File.Exists(Int8Network.PathIn(catalog.DataFolder))
                ? "deriving ResNet18 at INT8 (this machine's first INT8 run: about a minute, then kept)"
                : $"loading ResNet18{(options.Precision == NetworkPrecision.Int8 ? " at INT8" : "")}";
            Enter(RunStage.Prepare, $"Choosing {Plural.Of(options.Images, "image")} from {dataset.Info.Title} and {network}");
            // The run's work holds threads of its own, never the pool's (see ComputeThreads).
            var selection = await ComputeThreads.RunAsync(() => dataset.Select(options.Images, options.Seed, cancellationToken), cancellationToken);
            RequireTwoClasses(selection.Samples.Select(s => s.ClassIndex), dataset.Info.Title, skipped: 0);
            var model = OpenModel(device, parallelism.ThreadsPerCall, options.Precision);
            var prepareSeconds = clock.Elapsed.TotalSeconds;
            var batchSize = device.Device == ComputeDevice.Gpu ? GpuBatchSize : CpuBatchSize;
            Enter(RunStage.Featurize, $"{Plural.Of(selection.Samples.Count, "image")} through ResNet18{(options.Precision == NetworkPrecision.Int8 ? " at INT8" : "")} on the {device.Device.ToId().ToUpperInvariant()}, {batchSize} per batch" +
                (parallelism.BatchesInFlight > 1 ? $", {parallelism.BatchesInFlight} batches at a time" : "") +
                (parallelism.Preparers > 1 ? $", {parallelism.Preparers} threads preparing images" : ""));
            var featurizeStart = CpuReading.Now();
            var window = featurizeStart;
            var features = await new FeatureExtractor(model, batchSize, parallelism).RunAsync(selection.Samples,
                new InlineProgress<FeaturizeProgress>(p =>
                {
                    featurized = p.Done - p.Skipped;
                    progress?.Report(new ImagesFeaturized(clock.Elapsed, p.Done, p.Total, p.Skipped, p.ImagesPerSecond));
                    if (Stopwatch.GetElapsedTime(window.Timestamp) < CpuWindow) return;
                    var now = CpuReading.Now();
                    progress?.Report(new CpuMeasured(clock.Elapsed, now.Since(window)));
                    window = now;
                }), cancellationToken);
            var featurizeCpu = CpuReading.Now().Since(featurizeStart);
            FreedMemory.ReturnToSystem(); // the batches and decoded pictures are garbage now
            var labels = features.SampleIndices.Select(i => selection.Samples[i].ClassIndex).ToArray();
            RequireTwoClasses(labels, dataset.Info.Title, features.Skipped.Count);

            Enter(RunStage.Train, $"{Plural.Of(options.Epochs, "epoch")} of the classification head");
            var trainStart = clock.Elapsed;
            var (trainRows, testRows) = StratifiedSampler.Split(labels, options.TestFraction, options.Seed);
            if (testRows.Count == 0)
                throw new DatasetException("Too few images to hold any out for testing: choose more images.");
            var ml = new MLContext(options.Seed);
            var head = new HeadTrainer(ml, selection.ClassNames, options.HeadIterationsPerEpoch);
            IEnumerable<FeatureRow> Rows(IReadOnlyList<int> rows) =>
                rows.Select(r => new FeatureRow { Features = features.Row(r).ToArray(), Label = selection.ClassNames[labels[r]] });
            var train = ml.Data.Cache(head.Load(Rows(trainRows).ToList()));
            var test = ml.Data.Cache(head.Load(Rows(testRows).ToList()));
            var epochs = new List<EpochMetrics>();
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var metrics = await ComputeThreads.RunAsync(() => head.TrainEpoch(epoch, train, test), cancellationToken);
                epochs.Add(metrics);
                progress?.Report(new EpochCompleted(clock.Elapsed, metrics));
            }
            var trainSeconds = (clock.Elapsed - trainStart).TotalSeconds;

            Enter(RunStage.Evaluate, $"{Plural.Of(testRows.Count, "held-out image")}");
            var evaluateStart = clock.Elapsed;
            var (evaluation, examples, modelPath) = await ComputeThreads.RunAsync(() =>
            {
                var evaluation = head.EvaluateHeldOut(test);
                var predictions = ml.Data.CreateEnumerable<HeadPrediction>(head.Model.Transform(test), reuseRowObject: false).ToList();
                var examples = PickExamples(testRows, predictions, r => selection.Samples[features.SampleIndices[r]], labels, selection.ClassNames);
                var modelPath = options.SaveModelPath is { } path
                    ? ImageClassifier.Save(ml, head.Model, train.Schema, path, Familiarity.Measure(selection.ClassNames, features, labels, trainRows, testRows))
                    : null;
                return (evaluation, examples, modelPath);
            }, CancellationToken.None);
            var evaluateSeconds = (clock.Elapsed - evaluateStart).TotalSeconds;
            var total = clock.Elapsed.TotalSeconds;

            var counts = evaluation.ConfusionMatrix.Counts;
            return new RunResult
            {
                Dataset = dataset.Info.Name,
                Images = features.Count,
                TrainImages = trainRows.Count,
                TestImages = testRows.Count,
                Device = device.Device.ToId(),
                DeviceReason = device.Reason,
                RuntimeBuild = probe.Build.Id,
                Precision = options.Precision.ToId(),
                BatchSize = batchSize,
                Epochs = epochs,
                Stages =
                [
                    new("prepare", prepareSeconds),
                    new("decode", features.DecodeTime.TotalSeconds),
                    new("resize", features.ResizeTime.TotalSeconds),
                    new("featurize", features.InferenceTime.TotalSeconds),
                    new("train", trainSeconds),
                    new("evaluate", evaluateSeconds),
                ],
                TotalSeconds = total,
                FeaturizeWallSeconds = features.WallTime.TotalSeconds,
                FeaturizeImagesPerSecond = features.Count / Math.Max(features.WallTime.TotalSeconds, 1e-9),
                FeaturizeCpu = featurizeCpu,
                ImagesPerSecond = features.Count / Math.Max(total, 1e-9),
                MicroAccuracy = evaluation.MicroAccuracy,
                MacroAccuracy = evaluation.MacroAccuracy,
                LogLoss = evaluation.LogLoss,
                Classes = selection.ClassNames,
                PerClass = selection.ClassNames.Select((name, i) => new ClassMetrics(name,
                    evaluation.ConfusionMatrix.PerClassPrecision[i], evaluation.ConfusionMatrix.PerClassRecall[i],
                    (int)counts[i].Sum())).ToList(),
                ConfusionMatrix = counts.Select(row => (IReadOnlyList<int>)row.Select(c => (int)c).ToList()).ToList(),
                Examples = examples,
                SkippedFiles = features.Skipped.Count,
                Skipped = features.Skipped,
                ModelPath = modelPath,
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new RunCancelledException(stage, featurized, clock.Elapsed);
        }
        finally
        {
            FreedMemory.ReturnToSystem(); // also after a cancelled or failed run: a server goes on after it
        }
    }

    private ResNet18Model OpenModel(DeviceChoice device, int threads, NetworkPrecision precision)
    {
        if (precision == NetworkPrecision.Int8 && device.Device != ComputeDevice.Cpu) throw new DeviceUnavailableException(NetworkPrecisions.CpuOnly);
        try { return networks.Get(device.Device, threads, precision, () => Int8Network.Load(catalog, catalog.DataFolder)); }
        catch (Exception e) when (device.Device == ComputeDevice.Gpu && e is not FileNotFoundException)
        {
            throw new DeviceUnavailableException($"ResNet18 could not be put on the GPU: {e.Message.Split('\n')[0]}");
        }
    }

    private static void RequireTwoClasses(IEnumerable<int> labels, string title, int skipped)
    {
        var present = labels.Distinct().Count();
        var why = skipped > 0 ? $" ({Plural.Of(skipped, "file")} could not be decoded and {(skipped == 1 ? "was" : "were")} skipped)" : "";
        if (present == 0) throw new DatasetException($"{title} gave no usable images{why}.");
        if (present == 1)
            throw new DatasetException($"{title} gave images of only one class{why}: a classifier needs at least two. Choose more images or another dataset.");
    }

    private static List<ExamplePrediction> PickExamples(IReadOnlyList<int> testRows, List<HeadPrediction> predictions,
        Func<int, ImageSample> sampleOf, int[] labels, IReadOnlyList<string> classNames)
    {
        var all = testRows.Select((row, i) => (row, prediction: predictions[i], actual: classNames[labels[row]])).ToList();
        // Mistakes teach most, so show up to half of them first.
        var wrong = all.Where(p => p.prediction.PredictedLabel != p.actual).Take(ExampleCount / 2);
        var right = all.Where(p => p.prediction.PredictedLabel == p.actual);
        return wrong.Concat(right).Take(ExampleCount).Select(p =>
        {
            var sample = sampleOf(p.row);
            return new ExamplePrediction(sample.Source, p.actual, p.prediction.PredictedLabel, p.prediction.Score.Max())
            { ThumbnailPng = Thumbnail(sample) };
        }).ToList();
    }

    private static byte[]? Thumbnail(ImageSample sample)
    {
        using var image = sample.Decode();
        if (image is null) return null;
        using var small = image.Resize(new SKImageInfo(64, 64), SKFilterQuality.Medium);
        using var data = (small ?? image).Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
