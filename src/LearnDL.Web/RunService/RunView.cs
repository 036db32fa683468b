using LearnDL.Training.Runs;
using LearnDL.Web.Data;

namespace LearnDL.Web.RunService;

/// <summary>
/// What a run page shows: the live snapshot while this server works on the run, otherwise what the
/// database recorded (so a finished run looks the same after a restart).
/// </summary>
public sealed record RunView(RunRecord Record, RunSnapshot Snapshot, RunResult? Result, IReadOnlyList<string?> Thumbnails)
{
    public static RunView From(RunRecord record, RunSnapshot? live)
    {
        var stored = RunStore.ResultOf(record);
        // A result that could not be stored still reaches the page from the live state.
        var result = stored ?? live?.Result;
        var series = RunStore.SeriesOf(record);
        var snapshot = live ?? new RunSnapshot
        {
            Id = record.Id,
            Status = record.Status,
            Done = result?.Images ?? 0,
            Total = result?.Images ?? record.Images,
            ElapsedSeconds = record.TotalSeconds ?? 0,
            StartedAt = record.StartedAt,
            ImagesPerSecond = record.FeaturizeImagesPerSecond,
            Throughput = series.Throughput,
            ImagesDone = series.ImagesDone,
            Epochs = result?.Epochs ?? [],
            Device = record.Device,
            DeviceReason = record.DeviceReason,
            Worker = record.Worker,
            Error = record.Error,
        };
        // The database is the truth once a run has finished there; live state may lag by a moment.
        if (record.IsFinished && !snapshot.IsFinished)
            snapshot = snapshot with { Status = record.Status, Error = record.Error };
        return new(record, snapshot, result, RunStore.ThumbnailsOf(record));
    }

    public RunStatus Status => Snapshot.Status;
    public bool IsActive => !Snapshot.IsFinished;

    public string StatusText => Status switch
    {
        RunStatus.Queued when Snapshot.QueuePosition is { } p => $"Queued (position {p} for the {(Snapshot.Device ?? Record.DeviceRequested).ToUpperInvariant()})",
        RunStatus.Running when Snapshot.Stage is { } stage => $"Running: {stage.Title()}",
        _ => Status.ToString(),
    };

    /// <summary>Where it runs or ran, in words: this server's process, or a worker machine.</summary>
    public string? WorkerText => (Snapshot.Worker ?? Record.Worker) switch
    {
        null => null,
        InProcessRunExecutor.Local => "on this server",
        var name => $"on worker {name}",
    };

    /// <summary>How the cores were shared while featurizing: live, then the whole stage's figure.</summary>
    public string? CpuText => (Result?.FeaturizeCpu ?? Snapshot.Cpu)?.Describe();

    /// <summary>The other device, for "run the same on the other device".</summary>
    public string OtherDevice => (Snapshot.Device ?? Record.DeviceRequested) == "gpu" ? "cpu" : "gpu";
}
