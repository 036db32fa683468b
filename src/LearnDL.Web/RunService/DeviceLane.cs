using LearnDL.Training.Compute;

namespace LearnDL.Web.RunService;

/// <summary>
/// One device's queue: first come, first served within each owner, and owners take turns, so one
/// student submitting ten runs does not push the rest of the class back ten places. Not thread-safe:
/// the run queue calls it under its lock.
/// </summary>
public sealed class DeviceLane(ComputeDevice device, int slots)
{
    private readonly Dictionary<string, Queue<QueueItem>> _waiting = [];
    private readonly LinkedList<string> _turns = new();
    private readonly List<QueueItem> _running = [];
    private readonly Queue<QueueItem> _resumed = new();

    public ComputeDevice Device => device;
    /// <summary>Runs at once: this server's run slots, or the slots of the live worker machines.</summary>
    public int Slots { get; set; } = slots;
    /// <summary>
    /// With worker machines: work that is not a run (a lesson's demonstration) still executes in this app,
    /// this many at once, beside the runs on the workers. Null: everything shares <see cref="Slots"/>.
    /// </summary>
    public int? LocalSlots { get; set; }
    public bool Paused { get; set; }
    public IReadOnlyList<QueueItem> Running => _running;

    public void Enqueue(QueueItem job)
    {
        if (!_waiting.TryGetValue(job.Owner.Id, out var queue))
        {
            _waiting[job.Owner.Id] = queue = new Queue<QueueItem>();
            _turns.AddLast(job.Owner.Id);
        }
        queue.Enqueue(job);
    }

    /// <summary>A run that runs on a worker already (the app restarted meanwhile): the next <see cref="TakeNext"/> hands it out to be followed again, whatever the pause or the capacity.</summary>
    public void Resume(QueueItem job)
    {
        _running.Add(job);
        _resumed.Enqueue(job);
    }

    /// <summary>The next run to start, or null when paused, full or empty; it counts as running from here.</summary>
    public QueueItem? TakeNext()
    {
        if (_resumed.TryDequeue(out var resumed)) return resumed;
        if (Paused || _turns.First is not { } turn) return null;
        var owner = turn.Value;
        var queue = _waiting[owner];
        if (!Fits(queue.Peek())) return null;
        var job = queue.Dequeue();
        _turns.RemoveFirst();
        if (queue.Count > 0) _turns.AddLast(owner);
        else _waiting.Remove(owner);
        _running.Add(job);
        return job;
    }

    private bool Fits(QueueItem next) => LocalSlots is not { } local ? _running.Count < Slots
        : next is WorkItem ? _running.Count(j => j is WorkItem) < local
        : _running.Count(j => j is not WorkItem) < Slots;

    public void RemoveWaiting(QueueItem job)
    {
        if (!_waiting.TryGetValue(job.Owner.Id, out var queue) || !queue.Contains(job)) return;
        var rest = queue.Where(j => j != job).ToList();
        queue.Clear();
        foreach (var j in rest) queue.Enqueue(j);
        if (queue.Count == 0)
        {
            _waiting.Remove(job.Owner.Id);
            _turns.Remove(job.Owner.Id);
        }
    }

    public void RemoveRunning(QueueItem job) => _running.Remove(job);

    /// <summary>Waiting runs in the order they will start, if nothing else arrives.</summary>
    public IReadOnlyList<QueueItem> WaitingInOrder()
    {
        var queues = _turns.Select(owner => new Queue<QueueItem>(_waiting[owner])).ToList();
        var order = new List<QueueItem>();
        while (queues.Count > 0)
        {
            for (int i = 0; i < queues.Count; i++) order.Add(queues[i].Dequeue());
            queues.RemoveAll(q => q.Count == 0);
        }
        return order;
    }
}
