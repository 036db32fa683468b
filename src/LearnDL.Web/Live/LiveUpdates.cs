using System.Threading.Channels;

namespace LearnDL.Web.Live;

/// <summary>
/// Who watches what, and nothing else: pages subscribe to a run, to the queue or to the class's
/// learning; whoever changes state (<see cref="RunService.RunLifecycle"/>, the queue, the class pulse) nudges
/// them here after the change. Every watcher has its own pump that calls it back at its own pace (at
/// most every <see cref="MinInterval"/>) and reads the newest state then, so a slow or dead page loses
/// intermediate states but never slows the run, the reporter's thread, or the other watchers.
/// </summary>
public sealed class LiveUpdates(TimeProvider time, ILogger<LiveUpdates> logger)
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(250);

    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, List<Watcher>> _runWatchers = [];
    private readonly List<Watcher> _queueWatchers = [];
    private readonly List<Watcher> _classWatchers = [];

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

    /// <summary>A run changed; with <paramref name="queueToo"/> its change shows in the queue too (queued, started, ended).</summary>
    public void RunChanged(Guid runId, bool queueToo)
    {
        Watcher[] targets;
        lock (_lock)
        {
            var forRun = _runWatchers.TryGetValue(runId, out var list) ? list : [];
            targets = queueToo ? [.. forRun, .. _queueWatchers] : [.. forRun];
        }
        foreach (var watcher in targets) watcher.Nudge();
    }

    /// <summary>Something other than a run's own state changed in a queue (work, a pause, a limit, a name): only queue watchers hear of it.</summary>
    public void QueueChanged()
    {
        Watcher[] targets;
        lock (_lock) targets = [.. _queueWatchers];
        foreach (var watcher in targets) watcher.Nudge();
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

    private static TimeSpan Max(TimeSpan? interval) => interval is { } i && i > MinInterval ? i : MinInterval;

    private void Remove(Watcher watcher)
    {
        lock (_lock)
        {
            if (watcher.ClassTopic) { _classWatchers.Remove(watcher); return; }
            if (watcher.RunId is not { } id) { _queueWatchers.Remove(watcher); return; }
            if (!_runWatchers.TryGetValue(id, out var list)) return;
            list.Remove(watcher);
            if (list.Count == 0) _runWatchers.Remove(id);
        }
    }

    /// <summary>
    /// One watcher's pump: a channel holding at most one nudge (further nudges are dropped, the state
    /// they announce is read anyway), and a loop that calls the watcher back, then waits the interval.
    /// </summary>
    private sealed class Watcher(LiveUpdates updates, Guid? runId, Func<Task> callback, TimeSpan interval, bool classTopic = false) : IDisposable
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
                    await Task.Delay(interval, updates._time);
                }
            }
            catch (Exception e)
            {
                // A watcher that throws (its circuit is gone) is dropped; the run and the others go on.
                updates._logger.LogDebug(e, "Dropped a watcher of {Topic} that failed", runId?.ToString() ?? (classTopic ? "the class" : "the queue"));
                Dispose();
            }
        }

        public void Dispose()
        {
            _nudges.Writer.TryComplete();
            updates.Remove(this);
        }
    }
}
