using System.Text.Json.Serialization;
using LearnDL.Training.Compute;
using LearnDL.Training.Featurization;

namespace LearnDL.Training.Runs;

public sealed record StageTiming(string Name, double Seconds);

public sealed record ClassMetrics(string Name, double Precision, double Recall, int TestImages);

public sealed record ExamplePrediction(string Source, string Actual, string Predicted, double Confidence)
{
    public bool Correct => Actual == Predicted;
    /// <summary>A small PNG of the image, for pages that show it.</summary>
    [JsonIgnore] public byte[]? ThumbnailPng { get; init; }
}

/// <summary>Everything a finished run measured.</summary>
public sealed record RunResult
{
    public required string Dataset { get; init; }
    public required int Images { get; init; }
    public required int TrainImages { get; init; }
    public required int TestImages { get; init; }
    public required string Device { get; init; }
    public required string DeviceReason { get; init; }
    public required string RuntimeBuild { get; init; }
    /// <summary>"fp32" or "int8": the numbers the network computed with.</summary>
    public string Precision { get; init; } = "fp32";
    public required int BatchSize { get; init; }
    public required IReadOnlyList<EpochMetrics> Epochs { get; init; }
    /// <summary>Work time per stage. Decode and resize overlap featurization, so they can add up to more than the total.</summary>
    public required IReadOnlyList<StageTiming> Stages { get; init; }
    public required double TotalSeconds { get; init; }
    /// <summary>Wall-clock seconds from the first image decoded to the last featurized.</summary>
    public required double FeaturizeWallSeconds { get; init; }
    public required double FeaturizeImagesPerSecond { get; init; }
    /// <summary>How the cores were shared while featurizing: did this run have the machine to itself?</summary>
    public CpuShare? FeaturizeCpu { get; init; }
    public required double ImagesPerSecond { get; init; }
    public required double MicroAccuracy { get; init; }
    public required double MacroAccuracy { get; init; }
    public required double LogLoss { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }
    /// <summary>Rows are actual classes, columns predicted, in the order of <see cref="Classes"/>.</summary>
    public required IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix { get; init; }
    public required IReadOnlyList<ExamplePrediction> Examples { get; init; }
    public required int SkippedFiles { get; init; }
    /// <summary>Which images were skipped and why. Not required: results stored before it was kept have none.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; init; } = [];
    public string? ModelPath { get; init; }
}

/// <summary>The run was cancelled; says how far it got.</summary>
public sealed class RunCancelledException(RunStage stage, int imagesFeaturized, TimeSpan elapsed)
    : OperationCanceledException($"Cancelled during {stage.Title().ToLowerInvariant()} after {elapsed.TotalSeconds:0.0} s; {imagesFeaturized} images had been featurized.")
{
    public RunStage Stage { get; } = stage;
    public int ImagesFeaturized { get; } = imagesFeaturized;
}
