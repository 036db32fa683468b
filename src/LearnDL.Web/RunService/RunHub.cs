using System.Threading.Channels;
using LearnDL.Training.Compute;
using LearnDL.Training.Training;
using LearnDL.Web.Data;

namespace LearnDL.Web.RunService;

/// <summary>
/// Live state of the runs this server works on, and who watches them. Reporting only updates the
/// state and nudges each watcher; every watcher has its own pump that reads the newest state at its
/// own pace (at most every <see cref="MinInterval"/>), so a slow or dead page loses intermediate
/// states but never slows the run, the reporter's thread, or the other watchers.
/// Topics: one per run, one for the queue (positions, starts, ends), and one for the class's learning
/// (answers, lessons: see <see cref="WatchClass"/>).
/// </summary>
public sealed class RunHub(TimeProvider time, ILogger<RunHub> logger)
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(250);
    private const int KeepFinished = 100;

    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, LiveRun> _runs = [];
    private readonly Dictionary<Guid, List<Watcher>> _runWatchers = [];
    private readonly List<Watcher> _queueWatchers = [];
    private readonly List<Watcher> _classWatchers = [];
    private readonly Queue<Guid> _finished = new();

    /// <summary>
    /// Calls <paramref name="onChange"/> while the run changes, at most once per <paramref name="interval"/>
    /// (never more often than <see cref="MinInterval"/>); dispose to stop.
    /// </summary>
    public IDisposable Watch(Guid runId, Func<Task> onChange, TimeSpan? interval = null)
    {
        var watcher = new Watcher(this, runId, onChange, Max(interval));
        lock (_lock)
        {
            if (!_runWatchers.TryGetValue(runId, out var list)) _runWatchers[runId] = list = [];
            list.Add(watcher);
        }
        return watcher.Start();
    }

    /// <summary>Calls <paramref name="onChange"/> when the queue changes: a run queued, started, finished or moved up.</summary>
    public IDisposable WatchQueue(Func<Task> onChange, TimeSpan? interval = null)
    {
        var watcher = new Watcher(this, null, onChange, Max(interval));
        lock (_lock) _queueWatchers.Add(watcher);
        return watcher.Start();
    }

    /// <summary>
    /// Calls <paramref name="onChange"/> when the class's learning changes (<see cref="ClassChanged"/>): thirty
    /// students answering at once nudge it thirty times, and the watcher is called once per interval.
    /// </summary>
    public IDisposable WatchClass(Func<Task> onChange, TimeSpan? interval = null)
    {
        var watcher = new Watcher(this, null, onChange, Max(interval), classTopic: true);
        lock (_lock) _classWatchers.Add(watcher);
        return watcher.Start();
    }

    /// <summary>A student answered, opened or finished a lesson (or the records were cleared): only class watchers hear of it.</summary>
    public void ClassChanged()
    {
        Watcher[] targets;
        lock (_lock) targets = [.. _classWatchers];
        foreach (var watcher in targets) watcher.Nudge();
    }

    /// <summary>Open watchers of the class's learning (the instructor's pulse panels).</summary>
    public int ClassWatcherCount
    {
        get { lock (_lock) return _classWatchers.Count; }
    }

    /// <summary>Open pages watching a run; a closed page leaves none behind.</summary>
    public int WatcherCount(Guid runId)
    {
        lock (_lock) return _runWatchers.TryGetValue(runId, out var list) ? list.Count : 0;
    }

    /// <param name="withSeries">False for callers that draw no chart (the API): the points are not copied.</param>
    public RunSnapshot? Snapshot(Guid runId, bool withSeries = true)
    {
        lock (_lock) return _runs.TryGetValue(runId, out var run) ? run.ToSnapshot(runId, withSeries) : null;
    }

    /// <summary>Something other than a run joined, started or left a queue: only queue watchers hear of it.</summary>
    public void QueueChanged()
    {
        Watcher[] targets;
        lock (_lock) targets = [.. _queueWatchers];
        foreach (var watcher in targets) watcher.Nudge();
    }

    public void Queued(Guid runId, string device, string reason, int position)
    {
        lock (_lock)
        {
            var run = Get(runId);
            (run.Status, run.Device, run.DeviceReason, run.QueuePosition) = (RunStatus.Queued, device, reason, position);
        }
        Signal(runId, queue: true);
    }

    public void Joined(Guid runId, int members)
    {
        lock (_lock) Get(runId).Members = members;
        Signal(runId, queue: false);
    }

    /// <summary>New queue positions; only the runs whose place changed hear of it.</summary>
    public void Positions(IReadOnlyDictionary<Guid, int> positions)
    {
        var moved = new List<Guid>();
        lock (_lock)
        {
            foreach (var (id, position) in positions)
                if (_runs.TryGetValue(id, out var run) && run.Status == RunStatus.Queued && run.QueuePosition != position)
                {
                    run.QueuePosition = position;
                    moved.Add(id);
                }
        }
        foreach (var id in moved) Signal(id, queue: false);
    }

    public void Started(Guid runId)
    {
        lock (_lock)
        {
            var run = Get(runId);
            run.Status = RunStatus.Running;
            run.QueuePosition = null;
            run.StartedAt = _time.GetUtcNow();
        }
        Signal(runId, queue: true);
    }

    /// <summary>The machine the run runs on: "local", or a worker's name.</summary>
    public void RanOn(Guid runId, string worker)
    {
        lock (_lock) Get(runId).Worker = worker;
        Signal(runId, queue: true);
    }

    /// <summary>Takes an engine event; cheap, so the engine can report every batch.</summary>
    public void Report(Guid runId, RunEvent e)
    {
        lock (_lock) Get(runId).Apply(e);
        Signal(runId, queue: false);
    }

    /// <summary>The run's final state; it reaches its watchers whether or not it could be stored.</summary>
    public void Finished(Guid runId, RunStatus status, string? error, RunResult? result = null)
    {
        lock (_lock)
        {
            var run = Get(runId);
            (run.Status, run.Error, run.Result, run.QueuePosition) = (status, error, result, null);
            if (status == RunStatus.Completed && run.Total > 0) run.Done = run.Total;
            _finished.Enqueue(runId);
            while (_finished.Count > KeepFinished)
            {
                var old = _finished.Dequeue();
                if (!_runWatchers.ContainsKey(old)) _runs.Remove(old);
            }
        }
        Signal(runId, queue: true);
    }

    private static TimeSpan Max(TimeSpan? interval) => interval is { } i && i > MinInterval ? i : MinInterval;

    private LiveRun Get(Guid runId)
    {
        if (!_runs.TryGetValue(runId, out var run)) _runs[runId] = run = new LiveRun();
        return run;
    }

    private void Signal(Guid runId, bool queue)
    {
        Watcher[] targets;
        lock (_lock)
        {
            var forRun = _runWatchers.TryGetValue(runId, out var list) ? list : [];
            targets = queue ? [.. forRun, .. _queueWatchers] : [.. forRun];
        }
        foreach (var watcher in targets) watcher.Nudge();
    }

    private void Remove(Watcher watcher)
    {
        lock (_lock)
        {
            if (watcher.ClassTopic) { _classWatchers.Remove(watcher); return; }
            if (watcher.RunId is not { } id) { _queueWatchers.Remove(watcher); return; }
            if (!_runWatchers.TryGetValue(id, out var list)) return;
            list.Remove(watcher);
            if (list.Count > 0) return;
            _runWatchers.Remove(id);
            // A run that finished long ago and was kept only for its watchers goes with the last of them.
            if (_runs.TryGetValue(id, out var run) && run.Status.IsFinished() && !_finished.Contains(id)) _runs.Remove(id);
        }
    }

    /// <summary>
    /// One watcher's pump: a channel holding at most one nudge (further nudges are dropped, the state
    /// they announce is read anyway), and a loop that calls the watcher back, then waits the interval.
    /// </summary>
    private sealed class Watcher(RunHub hub, Guid? runId, Func<Task> callback, TimeSpan interval, bool classTopic = false) : IDisposable
    {
        private readonly Channel<bool> _nudges = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
        { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

        public Guid? RunId => runId;
        public bool ClassTopic => classTopic;

        public IDisposable Start()
        {
            _ = PumpAsync();
            return this;
        }

        public void Nudge() => _nudges.Writer.TryWrite(true);

        private async Task PumpAsync()
        {
            try
            {
                await foreach (var _ in _nudges.Reader.ReadAllAsync())
                {
                    await callback();
                    await Task.Delay(interval, hub._time);
                }
            }
            catch (Exception e)
            {
                // A watcher that throws (its circuit is gone) is dropped; the run and the others go on.
                hub._logger.LogDebug(e, "Dropped a watcher of {Topic} that failed", runId?.ToString() ?? (classTopic ? "the class" : "the queue"));
                Dispose();
            }
        }

        public void Dispose()
        {
            _nudges.Writer.TryComplete();
            hub.Remove(this);
        }
    }

    /// <summary>Mutable live state; only touched under the hub's lock.</summary>
    private sealed class LiveRun
    {
        public RunStatus Status = RunStatus.Queued;
        public int? QueuePosition;
        public RunStage? Stage;
        public string? StageDetail, Device, DeviceReason, Error, Worker;
        public int Done, Total, Skipped, Members = 1;
        public double ElapsedSeconds;
        public double? ImagesPerSecond;
        public CpuShare? Cpu;
        public RunResult? Result;
        public DateTimeOffset? StartedAt;
        public readonly ChartSeries Throughput = new(MinInterval), ImagesDone = new(MinInterval);
        public readonly List<EpochMetrics> Epochs = [];

        public void Apply(RunEvent e)
        {
            ElapsedSeconds = e.Elapsed.TotalSeconds;
            switch (e)
            {
                case StageStarted s:
                    (Stage, StageDetail) = (s.Stage, s.Detail);
                    break;
                case ImagesFeaturized f:
                    (Done, Total, Skipped, ImagesPerSecond) = (f.Done, f.Total, f.Skipped, f.ImagesPerSecond);
                    var last = f.Done == f.Total;
                    Throughput.Add(f.Elapsed.TotalSeconds, f.ImagesPerSecond, last);
                    ImagesDone.Add(f.Elapsed.TotalSeconds, f.Done, last);
                    break;
                case CpuMeasured c:
                    Cpu = c.Window;
                    break;
                case EpochCompleted ep:
                    Epochs.Add(ep.Metrics);
                    break;
            }
        }

        public RunSnapshot ToSnapshot(Guid id, bool withSeries) => new()
        {
            Id = id, Status = Status, QueuePosition = QueuePosition, Stage = Stage, StageDetail = StageDetail,
            Done = Done, Total = Total, Skipped = Skipped, ElapsedSeconds = ElapsedSeconds, StartedAt = StartedAt, ImagesPerSecond = ImagesPerSecond,
            Throughput = withSeries ? Throughput.ToList() : [], ImagesDone = withSeries ? ImagesDone.ToList() : [], Epochs = [.. Epochs],
            Device = Device, DeviceReason = DeviceReason, Error = Error, Cpu = Cpu, Members = Members, Result = Result, Worker = Worker,
        };
    }
}
