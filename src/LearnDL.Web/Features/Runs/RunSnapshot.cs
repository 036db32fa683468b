using LearnDL.Training.Training;
using LearnDL.Web.Data;

namespace LearnDL.Web.Features.Runs;

/// <summary>A point of a live chart: seconds since the run started, and a value.</summary>
public sealed record ChartPoint(double Seconds, double Value);

/// <summary>Everything a page shows of a run at one moment. Immutable, so any thread may read it.</summary>
public sealed record RunSnapshot
{
    public required Guid Id { get; init; }
    public required RunStatus Status { get; init; }
    public int? QueuePosition { get; init; }
    public RunStage? Stage { get; init; }
    public string? StageDetail { get; init; }
    public int Done { get; init; }
    public int Total { get; init; }
    public int Skipped { get; init; }
    public double ElapsedSeconds { get; init; }
    public IReadOnlyList<ChartPoint> Throughput { get; init; } = [];
    public IReadOnlyList<ChartPoint> ImagesDone { get; init; } = [];
    public IReadOnlyList<EpochMetrics> Epochs { get; init; } = [];
    public string? Device { get; init; }
    public string? DeviceReason { get; init; }
    public string? Error { get; init; }

    /// <summary>Featurization progress, 0-100.</summary>
    public double Percent => Status == RunStatus.Completed ? 100 : Total == 0 ? 0 : 100.0 * Done / Total;
}
