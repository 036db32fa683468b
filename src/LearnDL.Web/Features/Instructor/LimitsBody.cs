using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Instructor;

/// <summary>
/// PUT /api/instructor/limits's body: the limits by the names GET answers. The runs at once were called
/// cpuWorkers and gpuWorkers before "worker" came to mean a worker machine: scripts that send those names still
/// work; a body that gives both names of one limit with different values is refused, since either could be meant.
/// </summary>
public sealed record LimitsBody(int MaxImagesPerRun, int MaxEpochs, int MaxQueuedRuns, int MaxQueuedRunsPerOwner,
    int? MaxConcurrentCpuRuns, int? MaxConcurrentGpuRuns, int? CpuWorkers = null, int? GpuWorkers = null)
{
    /// <exception cref="ArgumentException">Both names of one limit, with different values.</exception>
    public RunLimits ToLimits() => new(MaxImagesPerRun, MaxEpochs, MaxQueuedRuns, MaxQueuedRunsPerOwner,
        Either(MaxConcurrentCpuRuns, CpuWorkers, "maxConcurrentCpuRuns", "cpuWorkers"),
        Either(MaxConcurrentGpuRuns, GpuWorkers, "maxConcurrentGpuRuns", "gpuWorkers"));

    private static int Either(int? value, int? oldName, string name, string old) => (value, oldName) switch
    {
        ({ } a, { } b) when a != b => throw new ArgumentException(
            $"{old} is the earlier name of {name}, and the body gives both, with different values ({b} and {a}): send {name} only."),
        _ => value ?? oldName ?? 0, // a missing limit is 0, which its bounds refuse by name
    };
}
