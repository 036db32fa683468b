using System.Text.Json.Serialization;
using LearnDL.Training.Compute;

namespace LearnDL.Training.Runs;

/// <summary>
/// Something that happened during a run, stamped with the time since it started. Plain data with a
/// "type" in its JSON (<see cref="RunWire"/>), so a run on another machine can report it too.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(StageStarted), "stage")]
[JsonDerivedType(typeof(ImagesFeaturized), "featurized")]
[JsonDerivedType(typeof(CpuMeasured), "cpu")]
[JsonDerivedType(typeof(EpochCompleted), "epoch")]
public abstract record RunEvent(TimeSpan Elapsed);

/// <summary>The run moved on to a new stage.</summary>
public sealed record StageStarted(TimeSpan Elapsed, RunStage Stage, string Detail) : RunEvent(Elapsed);

/// <summary>More images went through the CNN.</summary>
public sealed record ImagesFeaturized(TimeSpan Elapsed, int Done, int Total, int Skipped, double ImagesPerSecond) : RunEvent(Elapsed);

/// <summary>How the machine's cores were shared over the last second or so of featurization.</summary>
public sealed record CpuMeasured(TimeSpan Elapsed, CpuShare Window) : RunEvent(Elapsed);

/// <summary>One epoch of head training finished.</summary>
public sealed record EpochCompleted(TimeSpan Elapsed, EpochMetrics Metrics) : RunEvent(Elapsed);

public sealed record EpochMetrics(int Epoch, double TrainAccuracy, double TrainLogLoss, double TestAccuracy, double TestLogLoss);
