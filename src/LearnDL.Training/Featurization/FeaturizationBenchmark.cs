using System.Diagnostics;
using LearnDL.Training.Datasets;

namespace LearnDL.Training.Featurization;

public sealed record BenchmarkResult(
    int Images, string Device, int BatchSize, [property: System.Text.Json.Serialization.JsonPropertyName("workers")] int BatchesInFlight, int Preparers,
    double RuntimeOnlyImagesPerSecond, double PipelineImagesPerSecond)
{
    /// <summary>How close the whole pipeline gets to the runtime's own ceiling (1.0 = no overhead).</summary>
    public double Ratio => PipelineImagesPerSecond / RuntimeOnlyImagesPerSecond;

    /// <summary>Whether the batches were in page-locked memory (the GPU's pinned allocator).</summary>
    public bool PageLockedBatches { get; init; }

    /// <summary>With `--precision`: each network's speeds, measured one after the other in this run.</summary>
    public IReadOnlyDictionary<string, PrecisionSpeed>? Precisions { get; init; }
    /// <summary>INT8 runtime-only images/s over FP32's.</summary>
    public double? Int8OverFp32 { get; init; }
    /// <summary>The largest difference of any of the 512 features between FP32 and INT8, on 50 built-in images.</summary>
    public double? MaxFeatureDifference { get; init; }
    /// <summary>The CPU's instructions INT8 relies on (VNNI, AVX-512, AVX2).</summary>
    public IReadOnlyList<string>? Int8Instructions { get; init; }
    /// <summary>Which kernels ONNX Runtime runs the INT8 network on.</summary>
    public Precision.IntegerKernels? Int8Kernels { get; init; }

    /// <summary>Preparation alone per dataset (builtin, fashionMnist, photos), measured apart from the network.</summary>
    public IReadOnlyDictionary<string, PreparationSpeed> Preparation { get; init; } = new Dictionary<string, PreparationSpeed>();

    /// <summary>How many times faster one preparing thread is than the network, per dataset: above 1, one thread keeps the network fed.</summary>
    public IReadOnlyDictionary<string, double> OneThreadOverNetwork =>
        Preparation.ToDictionary(p => p.Key, p => p.Value.OneThreadImagesPerSecond / RuntimeOnlyImagesPerSecond);
}

/// <summary>One network precision's speeds in `learndl bench --precision`.</summary>
public sealed record PrecisionSpeed(double RuntimeOnlyImagesPerSecond, double PipelineImagesPerSecond, double Ratio);

/// <summary>
/// Measures, in one process on the same images: (a) ONNX Runtime alone on tensors already in memory,
/// the ceiling this machine allows, and (b) the engine's featurization from encoded files.
/// Each is measured twice, alternating, and the better time kept, to damp noise from the machine.
/// </summary>
public static class FeaturizationBenchmark
{
    public static async Task<BenchmarkResult> RunAsync(ResNet18Model model, int batchSize, FeaturizeParallelism parallelism, IReadOnlyList<ImageSample> samples,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        progress?.Report("decoding and resizing the images into memory for the runtime-only pass");
        var tensors = new float[samples.Count * ResNet18Model.PixelsPerImage];
        var preprocessor = new ImagePreprocessor();
        for (int i = 0; i < samples.Count; i++)
        {
            using var image = samples[i].Decode() ?? throw new InvalidDataException($"{samples[i].Source} does not decode.");
            preprocessor.Write(image, tensors.AsSpan(i * ResNet18Model.PixelsPerImage, ResNet18Model.PixelsPerImage));
        }
        progress?.Report("warming up");
        RuntimeOnly(model, tensors, Math.Min(batchSize, samples.Count), batchSize, 1, cancellationToken);

        double bestRuntime = double.MaxValue, bestPipeline = double.MaxValue;
        var extractor = new FeatureExtractor(model, batchSize, parallelism);
        for (int round = 1; round <= 2; round++)
        {
            progress?.Report($"round {round}/2: runtime only");
            var start = Stopwatch.GetTimestamp();
            RuntimeOnly(model, tensors, samples.Count, batchSize, parallelism.BatchesInFlight, cancellationToken);
            bestRuntime = Math.Min(bestRuntime, Stopwatch.GetElapsedTime(start).TotalSeconds);

            progress?.Report($"round {round}/2: pipeline from files");
            var set = await extractor.RunAsync(samples, null, cancellationToken);
            bestPipeline = Math.Min(bestPipeline, set.WallTime.TotalSeconds);
        }
        return new(samples.Count, model.Device.ToString().ToLowerInvariant(), batchSize, parallelism.BatchesInFlight, parallelism.Preparers,
            samples.Count / bestRuntime, samples.Count / bestPipeline) { PageLockedBatches = model.BatchesPageLocked };
    }

    /// <summary>
    /// The runtime alone on tensors already in memory, with the same number of batches in flight and
    /// the same bound batches as the engine; copying a slice into a batch is what any caller holding
    /// tensors would do.
    /// </summary>
    private static void RuntimeOnly(ResNet18Model model, float[] tensors, int images, int batchSize, int workers, CancellationToken cancellationToken) =>
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken }, worker =>
        {
            using var batch = model.CreateBatch(batchSize);
            for (int i = worker * batchSize; i < images; i += workers * batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(batchSize, images - i);
                tensors.AsSpan(i * ResNet18Model.PixelsPerImage, count * ResNet18Model.PixelsPerImage).CopyTo(batch.Pixels);
                model.Featurize(batch, count);
            }
        });
}
