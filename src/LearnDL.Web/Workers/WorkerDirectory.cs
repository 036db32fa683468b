using LearnDL.Training.Compute;
using LearnDL.Web.RunService;
using LearnDL.Workers;
using Npgsql;

namespace LearnDL.Web.Workers;

/// <summary>The worker machines as last read from the register: who serves which device, and with what.</summary>
public sealed class LiveWorkers
{
    private volatile IReadOnlyList<WorkerInfo> _workers = [];

    public IReadOnlyList<WorkerInfo> All { get => _workers; internal set => _workers = value; }

    /// <summary>Live workers of a device that take new runs.</summary>
    public IReadOnlyList<WorkerInfo> Serving(ComputeDevice device) => _workers.Where(w => w.Device == device.ToId() && w.FreeForNewRuns > 0).ToList();

    public bool AnyServingHas(string dataset) => _workers.Any(w => w.FreeForNewRuns > 0 && w.Has(dataset));

    public string CapacityLine(ComputeDevice device)
    {
        var serving = Serving(device);
        var label = device.ToId().ToUpperInvariant();
        if (serving.Count == 0)
            return $"{label}: no worker connected; {label} runs wait until one joins";
        var what = device == ComputeDevice.Gpu
            ? string.Join("; ", serving.Select(w => $"{w.Gpu} on {w.Name}"))
            : string.Join(", ", serving.Select(w => w.Name));
        var slots = serving.Sum(w => w.Slots);
        return $"{label}: {serving.Count} worker{(serving.Count == 1 ? "" : "s")}, {slots} slot{(slots == 1 ? "" : "s")} ({what})";
    }
}

/// <summary>
/// Reads the worker register every two seconds: the device lines' capacity follows the live workers'
/// slots (a worker that stopped heartbeating, or drains, offers none), and pages hear when anything changed.
/// </summary>
public sealed class WorkerDirectory(WorkerRegistry registry, LiveWorkers live, RunQueue queue, JobsListener listener, JobsDatabase database, DatabaseClock clock,
    ILogger<WorkerDirectory> logger)
    : BackgroundService, IWorkerDirectory
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(2);
    private string _lastSeen = "";

    public string Engine => WorkersOptions.Postgres;
    public IReadOnlyList<WorkerView> Workers => live.All.Select(WorkerView.From).ToList();
    public event Action? Changed;

    public string CapacityLine(ComputeDevice device) => live.CapacityLine(device);

    public WorkersBody Body() => new(Engine, Workers,
        Enum.GetValues<ComputeDevice>().ToDictionary(d => d.ToId(), d => live.Serving(d).Sum(w => w.Slots)), listener.Latency());

    public Task<bool> DrainAsync(string name) => registry.DrainAsync(name);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
            {
                // The runs already handed out go on; new ones wait until the register answers again.
                logger.LogWarning("Reading the worker register failed: {Message}", e.Message);
            }
            try { await Task.Delay(Every, stoppingToken); } catch (OperationCanceledException) { return; }
        }
    }

    internal async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var workers = await registry.ListAsync(cancellationToken);
        await clock.SyncAsync(database, cancellationToken);
        live.All = workers;
        foreach (var device in Enum.GetValues<ComputeDevice>())
            queue.SetCapacity(device, live.Serving(device).Sum(w => w.Slots));
        // Heartbeat times change every read; the rest only when a machine joins, leaves, drains, goes silent or gets busier.
        var seen = string.Join(";", workers.Select(w => $"{w.Name},{w.Device},{w.Slots},{w.Busy},{w.Draining},{w.Live}"));
        if (seen == _lastSeen) return;
        _lastSeen = seen;
        Changed?.Invoke();
    }
}
