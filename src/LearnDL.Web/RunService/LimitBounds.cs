using LearnDL.Training.Runs;

namespace LearnDL.Web.RunService;

/// <summary>
/// How far each limit may be set, in appsettings.json, on the instructor's dashboard and through the
/// API alike. Past these a class gets slower or less safe, not more done.
/// </summary>
public static class LimitBounds
{
    /// <summary>
    /// A CPU run already keeps one batch per core in the network, so running more runs at once than
    /// there are cores only makes them take cores from each other: each slower, with more memory held.
    /// </summary>
    public static int CpuRunsCeiling => Math.Max(1, Environment.ProcessorCount);

    /// <summary>Runs on one GPU share its memory and skew each other's timings: a few at once is the most that helps.</summary>
    public const int GpuRunsCeiling = 4;

    /// <summary>A big class with a few runs each; past this the last in line waits longer than a lesson lasts.</summary>
    public const int MaxQueuedRuns = 1000;

    public const int MaxQueuedRunsPerOwner = 100;

    private sealed record Bound(string Setting, string Label, int Min, int Max, Func<RunLimits, int> Of, string? Why = null);

    private static IEnumerable<Bound> All =>
    [
        new("MaxImagesPerRun", "images per run", 4, RunSettings.MaxImages, l => l.MaxImagesPerRun),
        new("MaxEpochs", "epochs per run", 1, RunSettings.MaxEpochs, l => l.MaxEpochs),
        new("MaxQueuedRuns", "runs queued, whole class", 1, MaxQueuedRuns, l => l.MaxQueuedRuns),
        new("MaxQueuedRunsPerOwner", "runs queued per student", 1, MaxQueuedRunsPerOwner, l => l.MaxQueuedRunsPerOwner),
        new("MaxConcurrentCpuRuns", "CPU runs at once", 1, CpuRunsCeiling, l => l.MaxConcurrentCpuRuns,
            $"this server has {CpuRunsCeiling} core{(CpuRunsCeiling == 1 ? "" : "s")} and one CPU run already uses every one"),
        new("MaxConcurrentGpuRuns", "GPU runs at once", 1, GpuRunsCeiling, l => l.MaxConcurrentGpuRuns,
            "runs on one GPU share its memory and skew each other's timings"),
    ];

    /// <summary>The limits appsettings.json gives.</summary>
    public static RunLimits Configured(LearnDLOptions o) =>
        new(o.MaxImagesPerRun, o.MaxEpochs, o.MaxQueuedRuns, o.MaxQueuedRunsPerOwner, o.MaxConcurrentCpuRuns, o.MaxConcurrentGpuRuns);

    /// <summary>One message per limit out of its bounds, naming its setting and the bounds; empty when all are fine.</summary>
    public static IReadOnlyList<string> Problems(RunLimits limits) =>
        All.Where(b => b.Of(limits) < b.Min || b.Of(limits) > b.Max)
            .Select(b => $"{b.Setting} ({b.Label}) must be between {b.Min:N0} and {b.Max:N0}{(b.Why is null ? "" : $" ({b.Why})")}, not {b.Of(limits):N0}.")
            .ToList();

    /// <summary>The smallest and largest value of a limit, by its setting's name (for the dashboard's fields).</summary>
    public static (int Min, int Max) Range(string setting)
    {
        var bound = All.Single(b => b.Setting == setting);
        return (bound.Min, bound.Max);
    }

    /// <summary>The limits brought within their bounds: limits kept from a server that had more cores than this one.</summary>
    public static RunLimits Clamp(RunLimits limits)
    {
        int Within(string setting)
        {
            var bound = All.Single(b => b.Setting == setting);
            return Math.Clamp(bound.Of(limits), bound.Min, bound.Max);
        }
        return new(Within("MaxImagesPerRun"), Within("MaxEpochs"), Within("MaxQueuedRuns"), Within("MaxQueuedRunsPerOwner"),
            Within("MaxConcurrentCpuRuns"), Within("MaxConcurrentGpuRuns"));
    }
}
