using LearnDL.Training.Training;
using LearnDL.Web.Data;

namespace LearnDL.Web.Features.Runs;

/// <summary>
/// Live state of the runs this server is working on, and who is watching them. The engine may
/// report every batch; watchers are called back at most every <see cref="MinInterval"/>, plus at
/// once on a change of state, stage or epoch, so pages redraw a few times a second at most.
/// </summary>
public sealed class RunHub(TimeProvider time)
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(250);
    private const int KeepFinished = 50;

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, LiveRun> _runs = [];
    private readonly List<Guid> _queue = [];
    private readonly Queue<Guid> _finished = new();

    /// <summary>Calls <paramref name="onChange"/> whenever the run changes; dispose to stop.</summary>
    public IDisposable Subscribe(Guid runId, Func<Task> onChange)
    {
        var subscription = new Subscription(this, runId, onChange);
        lock (_lock) Get(runId).Subscribers.Add(subscription);
        return subscription;
    }

    /// <summary>Number of watchers of a run (pages left open); a closed page leaves none behind.</summary>
    public int SubscriberCount(Guid runId)
    {
        lock (_lock) return _runs.TryGetValue(runId, out var run) ? run.Subscribers.Count : 0;
    }

    public RunSnapshot? Snapshot(Guid runId)
    {
        lock (_lock)
        {
            if (!_runs.TryGetValue(runId, out var run) || run.Status is null) return null;
            return run.ToSnapshot(runId, _queue.IndexOf(runId) is var i and >= 0 ? i + 1 : null);
        }
    }

    public void Queued(Guid runId)
    {
        lock (_lock)
        {
            Get(runId).Status = RunStatus.Queued;
            _queue.Add(runId);
        }
        NotifyAll(); // every queued run's position may have changed
    }

    public void Started(Guid runId, string device, string reason)
    {
        lock (_lock)
        {
            _queue.Remove(runId);
            var run = Get(runId);
            run.Status = RunStatus.Running;
            run.Device = device;
            run.DeviceReason = reason;
        }
        NotifyAll();
    }

    public void Report(Guid runId, RunEvent e)
    {
        bool urgent;
        lock (_lock)
        {
            var run = Get(runId);
            run.ElapsedSeconds = e.Elapsed.TotalSeconds;
            urgent = run.Apply(e, time.GetUtcNow(), MinInterval);
        }
        Notify(runId, urgent);
    }

    public void Finished(Guid runId, RunStatus status, string? error)
    {
        lock (_lock)
        {
            _queue.Remove(runId);
            var run = Get(runId);
            run.Status = status;
            run.Error = error;
            _finished.Enqueue(runId);
            while (_finished.Count > KeepFinished)
            {
                var old = _finished.Dequeue();
                if (_runs.TryGetValue(old, out var gone) && gone.Subscribers.Count == 0) _runs.Remove(old);
            }
        }
        NotifyAll();
    }

    private LiveRun Get(Guid runId)
    {
        if (!_runs.TryGetValue(runId, out var run)) _runs[runId] = run = new LiveRun();
        return run;
    }

    private void NotifyAll()
    {
        List<Guid> ids;
        lock (_lock) ids = _runs.Where(r => r.Value.Subscribers.Count > 0).Select(r => r.Key).ToList();
        foreach (var id in ids) Notify(id, urgent: true);
    }

    private void Notify(Guid runId, bool urgent)
    {
        List<Subscription> targets;
        lock (_lock)
        {
            if (!_runs.TryGetValue(runId, out var run) || run.Subscribers.Count == 0) return;
            var now = time.GetUtcNow();
            if (!urgent && now - run.LastNotified < MinInterval)
            {
                // Too soon: make sure one trailing call comes, so the last update is never lost.
                run.Trailing ??= time.CreateTimer(_ => { lock (_lock) { run.Trailing?.Dispose(); run.Trailing = null; } Notify(runId, true); },
                    null, MinInterval - (now - run.LastNotified), Timeout.InfiniteTimeSpan);
                return;
            }
            run.LastNotified = now;
            targets = [.. run.Subscribers];
        }
        foreach (var s in targets) _ = s.Invoke();
    }

    private void Remove(Subscription subscription)
    {
        lock (_lock)
        {
            if (!_runs.TryGetValue(subscription.RunId, out var run)) return;
            run.Subscribers.Remove(subscription);
            // A page watching a run from history made an empty entry; it goes with its last watcher.
            if (run.Status is null && run.Subscribers.Count == 0) _runs.Remove(subscription.RunId);
        }
    }

    private sealed class Subscription(RunHub hub, Guid runId, Func<Task> callback) : IDisposable
    {
        public Guid RunId => runId;
        public async Task Invoke()
        {
            // A watcher that throws (its circuit is gone) must not stop the others or the run.
            try { await callback(); } catch (Exception) { Dispose(); }
        }
        public void Dispose() => hub.Remove(this);
    }

    /// <summary>Mutable live state; only touched under the hub's lock.</summary>
    private sealed class LiveRun
    {
        public RunStatus? Status;
        public RunStage? Stage;
        public string? StageDetail, Device, DeviceReason, Error;
        public int Done, Total, Skipped;
        public double ElapsedSeconds;
        public readonly List<ChartPoint> Throughput = [], ImagesDone = [];
        public readonly List<EpochMetrics> Epochs = [];
        public readonly List<Subscription> Subscribers = [];
        public DateTimeOffset LastNotified, LastPoint;
        public ITimer? Trailing;

        /// <summary>Takes in an event; true when watchers should hear of it at once.</summary>
        public bool Apply(RunEvent e, DateTimeOffset now, TimeSpan minInterval)
        {
            switch (e)
            {
                case StageStarted s:
                    Stage = s.Stage;
                    StageDetail = s.Detail;
                    return true;
                case ImagesFeaturized f:
                    (Done, Total, Skipped) = (f.Done, f.Total, f.Skipped);
                    // Chart points at most every interval (and always the last), so a long run stays small.
                    if (now - LastPoint >= minInterval || f.Done == f.Total)
                    {
                        LastPoint = now;
                        Throughput.Add(new(f.Elapsed.TotalSeconds, f.ImagesPerSecond));
                        ImagesDone.Add(new(f.Elapsed.TotalSeconds, f.Done));
                    }
                    return false;
                case EpochCompleted ep:
                    Epochs.Add(ep.Metrics);
                    return true;
                default:
                    return false;
            }
        }

        public RunSnapshot ToSnapshot(Guid id, int? position) => new()
        {
            Id = id, Status = Status!.Value, QueuePosition = position, Stage = Stage, StageDetail = StageDetail,
            Done = Done, Total = Total, Skipped = Skipped, ElapsedSeconds = ElapsedSeconds,
            Throughput = [.. Throughput], ImagesDone = [.. ImagesDone], Epochs = [.. Epochs],
            Device = Device, DeviceReason = DeviceReason, Error = Error,
        };
    }
}
