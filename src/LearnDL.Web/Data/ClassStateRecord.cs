namespace LearnDL.Web.Data;

/// <summary>
/// What the instructor switched during a class (paused queues, limits, the class comparison), in one
/// row, so a restart mid-class changes none of it. A null was never changed on the dashboard:
/// appsettings.json decides it. The limits are kept all together or not at all.
/// </summary>
public sealed class ClassStateRecord
{
    public const int TheRow = 1;

    public int Id { get; set; } = TheRow;
    public bool CpuPaused { get; set; }
    public bool GpuPaused { get; set; }
    public int? MaxImagesPerRun { get; set; }
    public int? MaxEpochs { get; set; }
    public int? MaxQueuedRuns { get; set; }
    public int? MaxQueuedRunsPerOwner { get; set; }
    /// <summary>CPU runs at once (stored in the column CpuWorkers, its name before "worker" came to mean a worker machine).</summary>
    public int? MaxConcurrentCpuRuns { get; set; }
    /// <summary>GPU runs at once (stored in the column GpuWorkers).</summary>
    public int? MaxConcurrentGpuRuns { get; set; }
    public bool? ShowClassComparison { get; set; }
    /// <summary>Whether joining needs the class code, and the code (set on the dashboard; null: appsettings.json's Class:JoinCode).</summary>
    public bool? RequireJoinCode { get; set; }
    public string? JoinCode { get; set; }
    public DateTimeOffset? LimitsChangedAt { get; set; }
    /// <summary>When the instructor last cleared the class's records: the pulse counts no run started before it.</summary>
    public DateTimeOffset? RecordsClearedAt { get; set; }
}
