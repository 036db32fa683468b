using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;

namespace LearnDL.Web.RunService;

/// <summary>A point of a live chart: seconds since the run started, and a value.</summary>
public sealed record ChartPoint(double Seconds, double Value);

/// <summary>Everything a page shows of a run at one moment. Immutable, so any thread may read it.</summary>
public sealed record RunSnapshot
{
    public required Guid Id { get; init; }
    public required RunStatus Status { get; init; }
    /// <summary>Place in its device's queue (1 = next), while queued.</summary>
    public int? QueuePosition { get; init; }
    public RunStage? Stage { get; init; }
    public string? StageDetail { get; init; }
    public int Done { get; init; }
    public int Total { get; init; }
    public int Skipped { get; init; }
    public double ElapsedSeconds { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>Images per second at the last report (kept even when the snapshot carries no chart points).</summary>
    public double? ImagesPerSecond { get; init; }
    public IReadOnlyList<ChartPoint> Throughput { get; init; } = [];
    public IReadOnlyList<ChartPoint> ImagesDone { get; init; } = [];
    public IReadOnlyList<EpochMetrics> Epochs { get; init; } = [];
    public string? Device { get; init; }
    public string? DeviceReason { get; init; }
    /// <summary>Where it runs: "local" (this app's process) or a worker machine's name; null until it starts.</summary>
    public string? Worker { get; init; }
    public string? Error { get; init; }
    /// <summary>How the cores were shared over the last second of featurization.</summary>
    public CpuShare? Cpu { get; init; }
    /// <summary>Owners watching this one run: its starter and those whose identical request joined it.</summary>
    public int Members { get; init; } = 1;
    /// <summary>The result, kept live for a while so it reaches watchers even when storing it failed.</summary>
    public RunResult? Result { get; init; }

    /// <summary>Featurization progress, 0-100.</summary>
    public double Percent => Status == RunStatus.Completed ? 100 : Total == 0 ? 0 : 100.0 * Done / Total;

    public bool IsFinished => Status.IsFinished();
}
