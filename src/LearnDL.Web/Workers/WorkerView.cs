using LearnDL.Workers;

namespace LearnDL.Web.Workers;

/// <summary>A machine that runs the class's runs, as the Workers panel and GET /api/workers show it.</summary>
public sealed record WorkerView(
    string Name, string Device, string RuntimeBuild, string Cpu, int Cores, string? Gpu, IReadOnlyList<string> Datasets,
    double ImagesPerSecond, int Slots, int Busy, bool Draining, bool Live, DateTimeOffset? LastHeartbeat, double? SecondsSinceHeartbeat = null)
{
    // The age comes from the register's own clock, so a web server whose clock is off does not age the machines wrongly.
    public static WorkerView From(WorkerInfo w) => new(w.Name, w.Device, w.RuntimeBuild, w.Cpu, w.Cores, w.Gpu, w.Datasets,
        w.ImagesPerSecond, w.Slots, w.Busy, w.Draining, w.Live, w.HeartbeatAt, w.SecondsSinceHeartbeat);
}

/// <summary>What the workers' page and API say: the engine, each machine, the live capacity per device, and how fast events arrive.</summary>
public sealed record WorkersBody(string Engine, IReadOnlyList<WorkerView> Workers, IReadOnlyDictionary<string, int> Capacity, EventLatency? EventLatency);

/// <summary>Worker event to this app's run lifecycle, in milliseconds over the last events (remote mode only).</summary>
public sealed record EventLatency(int Events, double P50Milliseconds, double P95Milliseconds);
