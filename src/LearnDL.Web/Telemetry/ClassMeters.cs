using System.Diagnostics.Metrics;
using LearnDL.Training.Compute;
using LearnDL.Web.Data;
using LearnDL.Web.RunService;
using LearnDL.Web.Workers;

namespace LearnDL.Web.Telemetry;

/// <summary>
/// LearnDL's own meter, as /metrics shows it (`learndl_*`): runs started and ended (by outcome) are counted by the run's
/// lifecycle as they happen; everything else (circuits and students online, the queue, images/s, workers) is read only
/// when a scraper asks, so a run pays nothing for it.
/// </summary>
public sealed class ClassMeters
{
    public const string MeterName = "LearnDL";

    private readonly Counter<long> _started, _ended;

    public ClassMeters(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _started = meter.CreateCounter<long>("learndl.runs.started", description: "Runs that started (on this server or a worker), by device.");
        _ended = meter.CreateCounter<long>("learndl.runs.ended", description: "Runs that ended, by outcome (completed, failed, cancelled, interrupted) and device.");
        Meter = meter;
    }

    internal Meter Meter { get; }

    public void RunStarted(string? device) => _started.Add(1, new KeyValuePair<string, object?>("device", device ?? "unknown"));

    public void RunEnded(RunStatus outcome, string? device) => _ended.Add(1,
        new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()), new KeyValuePair<string, object?>("device", device ?? "unknown"));

    /// <summary>The gauges, read at each scrape from what already holds them: the circuits, the queue, the runs, the workers.</summary>
    internal void Observe(CircuitsOnline circuits, IRunQueue queue, RunLifecycle runs, IWorkerDirectory workers)
    {
        Meter.CreateObservableGauge("learndl.circuits.online", () => circuits.Circuits,
            description: "Blazor circuits connected now (one per open tab).");
        Meter.CreateObservableGauge("learndl.students.online", () => circuits.Students,
            description: "Students with at least one tab connected now.");
        Meter.CreateObservableGauge("learndl.queue.length", () => queue.View().Lanes.Select(l =>
            new Measurement<int>(l.Waiting.Count, new KeyValuePair<string, object?>("device", l.Device.ToId()))),
            description: "Runs waiting for their turn, by device.");
        Meter.CreateObservableGauge("learndl.runs.running", () => queue.View().Lanes.Select(l =>
            new Measurement<int>(l.Running.Count, new KeyValuePair<string, object?>("device", l.Device.ToId()))),
            description: "Runs running now, by device.");
        Meter.CreateObservableGauge("learndl.images_per_second", () => Enum.GetValues<ComputeDevice>().Select(d =>
            new Measurement<double>(runs.ImagesPerSecond(d.ToId()), new KeyValuePair<string, object?>("device", d.ToId()))),
            description: "Images per second being featurized now, all runs of a device together.");
        Meter.CreateObservableGauge("learndl.workers", () => WorkerCounts(workers.Workers),
            description: "Worker machines in the register, live (heartbeating) or silent, by device.");
    }

    private static IEnumerable<Measurement<int>> WorkerCounts(IReadOnlyList<WorkerView> workers)
    {
        foreach (var device in workers.Select(w => w.Device).Distinct())
            foreach (var live in new[] { true, false })
                yield return new(workers.Count(w => w.Device == device && w.Live == live),
                    new KeyValuePair<string, object?>("state", live ? "live" : "silent"), new KeyValuePair<string, object?>("device", device));
    }
}
