using LearnDL.Training.Compute;
using LearnDL.Web.Data;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.RunService;

/// <summary>
/// The instructor's controls of the queues, pausing a device and changing the limits: applied to the
/// queue at once and kept in the database, so a restart in the middle of a class changes neither.
/// Limits changed here win over appsettings.json until they are reset here.
/// </summary>
public sealed class QueueControls(IRunQueue queue, ClassStateStore state, IOptions<LearnDLOptions> options, TimeProvider time)
{
    /// <summary>The limits appsettings.json gives.</summary>
    public RunLimits Configured => LimitBounds.Configured(options.Value);

    /// <summary>Whether the limits in force were set on the dashboard rather than in appsettings.json.</summary>
    public bool LimitsChanged => state.Current.LimitsChangedAt is not null;

    // The queue is changed while the row is written (under the store's one writer), so two quick
    // clicks end the same way in memory and on disk.
    public Task PauseAsync(ComputeDevice device, bool paused) => state.SaveAsync(s =>
    {
        queue.SetPaused(device, paused);
        if (device == ComputeDevice.Gpu) s.GpuPaused = paused;
        else s.CpuPaused = paused;
    });

    /// <exception cref="ArgumentException">A limit is out of its bounds; the message names it and them. Nothing changed.</exception>
    public Task ChangeLimitsAsync(RunLimits limits) => state.SaveAsync(s =>
    {
        queue.SetLimits(limits);
        Keep(s, limits, time.GetUtcNow());
    });

    /// <summary>Back to appsettings.json's limits; the dashboard's are forgotten.</summary>
    public async Task<RunLimits> ResetLimitsAsync()
    {
        await state.SaveAsync(s =>
        {
            queue.SetLimits(Configured);
            Keep(s, null, null);
        });
        return Configured;
    }

    /// <summary>
    /// At start-up, before the workers take a run or a run is back in line: the queues paused and
    /// limited as the instructor left them. Returns what it did, for the log (null when nothing).
    /// </summary>
    public string? Apply(ClassStateRecord stored)
    {
        var done = new List<string>();
        foreach (var (device, paused) in new[] { (ComputeDevice.Cpu, stored.CpuPaused), (ComputeDevice.Gpu, stored.GpuPaused) })
            if (paused)
            {
                queue.SetPaused(device, true);
                done.Add($"the {device.ToId().ToUpperInvariant()} queue stays paused");
            }
        if (Kept(stored) is { } kept)
        {
            // A server that now has fewer cores than when they were set gets the most it allows.
            var limits = LimitBounds.Clamp(kept);
            queue.SetLimits(limits);
            done.Add($"the limits set on the dashboard on {stored.LimitsChangedAt:yyyy-MM-dd HH:mm} UTC apply, not appsettings.json's"
                + (limits == kept ? "" : $" (brought within this server's bounds: {string.Join(" ", LimitBounds.Problems(kept))})"));
        }
        return done.Count == 0 ? null : string.Join("; ", done) + ".";
    }

    private static RunLimits? Kept(ClassStateRecord s) =>
        s is { MaxImagesPerRun: { } images, MaxEpochs: { } epochs, MaxQueuedRuns: { } queued, MaxQueuedRunsPerOwner: { } perOwner, MaxConcurrentCpuRuns: { } cpu, MaxConcurrentGpuRuns: { } gpu }
            ? new(images, epochs, queued, perOwner, cpu, gpu) : null;

    private static void Keep(ClassStateRecord s, RunLimits? l, DateTimeOffset? at)
    {
        (s.MaxImagesPerRun, s.MaxEpochs, s.MaxQueuedRuns, s.MaxQueuedRunsPerOwner, s.MaxConcurrentCpuRuns, s.MaxConcurrentGpuRuns) =
            (l?.MaxImagesPerRun, l?.MaxEpochs, l?.MaxQueuedRuns, l?.MaxQueuedRunsPerOwner, l?.MaxConcurrentCpuRuns, l?.MaxConcurrentGpuRuns);
        s.LimitsChangedAt = at;
    }
}
