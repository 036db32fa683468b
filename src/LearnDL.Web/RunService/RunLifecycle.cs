using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Live;

namespace LearnDL.Web.RunService;

/// <summary>
/// The one owner of a run's state changes, read top to bottom: admitted, queued (and its place), joined
/// or left, started (on which machine), progress, finished (completed with its result, or not). Every
/// change goes in one order: checked against the rules (<see cref="Allows"/>; a change that makes no sense
/// is refused here, and logged: a worker's late result after its run was interrupted, a cancel after it
/// completed), then what must survive a restart is stored (the row; at the end the result and the chart
/// series, which live here), then the live state changes, then the watchers are nudged (<see cref="LiveUpdates"/>).
/// Storing before the live state means whoever sees a change (a script polling the API, then listing
/// completed runs) finds it in the database too; when storing fails, the live state says so.
/// The queue decides admission and turns; the worker and the executors' event sinks only report here.
/// </summary>
public sealed class RunLifecycle(LiveUpdates updates, RunStore store, ServerPaths paths, TimeProvider time, Telemetry.ClassMeters meters, ILogger<RunLifecycle> logger)
{
    /// <summary>Finished runs kept live (their result reaches watchers even when it could not be stored).</summary>
    private const int KeepFinished = 100;

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, LiveRun> _runs = [];
    private readonly Queue<Guid> _finished = new();

    /// <summary>The run's live state, or null when this server is not working on it (read the database then).</summary>
    /// <param name="withSeries">False for callers that draw no chart (the API): the points are not copied.</param>
    public RunSnapshot? Snapshot(Guid runId, bool withSeries = true)
    {
        lock (_lock) return _runs.TryGetValue(runId, out var run) ? run.ToSnapshot(runId, withSeries) : null;
    }

    /// <summary>Where a run's executor reports: its events and the machine it runs on come here, and nowhere else.</summary>
    public IRunEventSink ReporterFor(Guid runId) => new Reporter(this, runId);

    /// <summary>Admitted: the run's row is stored (nothing is live yet: no page can watch a run that is not there). Throws when it cannot be stored.</summary>
    public Task AdmitAsync(RunRecord record) => store.AddAsync(record);

    /// <summary>Waiting in its device's line at <paramref name="position"/>. The row says queued already; called under the queue's lock, so it never waits.</summary>
    public void Queued(Guid runId, DeviceChoice device, int position, int members = 1)
    {
        if (!May(runId, RunStatus.Queued, stored: null)) return;
        Apply(runId, RunStatus.Queued, run =>
            (run.Device, run.DeviceReason, run.QueuePosition, run.Members) = (device.Device.ToId(), device.Reason, position, members));
        updates.RunChanged(runId, queueToo: true);
    }

    /// <summary>New places in a line (not stored: a restart rebuilds them); only the runs whose place changed hear of it.</summary>
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
        foreach (var id in moved) updates.RunChanged(id, queueToo: false);
    }

    /// <summary>Someone's identical request joined the run: <paramref name="members"/> are on it now.</summary>
    public async Task JoinedAsync(Guid runId, string ownerId, int members)
    {
        await store.AddMemberAsync(runId, ownerId, time.GetUtcNow());
        SetMembers(runId, members);
        updates.RunChanged(runId, queueToo: false);
    }

    /// <summary>Someone got off a shared run that others stay on.</summary>
    public async Task LeftAsync(Guid runId, string ownerId, int members)
    {
        await store.RemoveMemberAsync(runId, ownerId);
        SetMembers(runId, members);
        updates.RunChanged(runId, queueToo: false);
    }

    /// <summary>
    /// Started on <paramref name="device"/>, the queue's choice and its reason. A run followed again after a
    /// restart (it went on on a worker) starts again and keeps <paramref name="startedBefore"/>. False when refused.
    /// </summary>
    public async Task<bool> StartAsync(Guid runId, DeviceChoice device, DateTimeOffset? startedBefore = null)
    {
        if (!May(runId, RunStatus.Running, await StoredIfUnknownAsync(runId))) return false;
        var at = startedBefore ?? time.GetUtcNow();
        if (await store.UpdateUnlessFinishedAsync(runId, r =>
            {
                r.Status = RunStatus.Running;
                r.StartedAt ??= at;
                r.Device = device.Device.ToId();
                r.DeviceReason = device.Reason;
            }) is { } ended) return Refused(runId, RunStatus.Running, ended);
        Apply(runId, RunStatus.Running, run => (run.StartedAt, run.QueuePosition, run.Device, run.DeviceReason) = (at, null, device.Device.ToId(), device.Reason));
        // A run followed again after a restart was counted when it first started.
        if (startedBefore is null) meters.RunStarted(device.Device.ToId());
        updates.RunChanged(runId, queueToo: true);
        return true;
    }

    /// <summary>The machine the run runs on: "local", or a worker's name.</summary>
    public async Task RanOnAsync(Guid runId, string worker)
    {
        await store.UpdateUnlessFinishedAsync(runId, r => r.Worker = worker);
        lock (_lock) Get(runId).Worker = worker;
        updates.RunChanged(runId, queueToo: true);
    }

    /// <summary>An engine event; cheap, so the engine can report every batch. Not stored as it comes: the series are, when the run ends.</summary>
    public void Report(Guid runId, RunEvent e)
    {
        lock (_lock)
        {
            var run = Get(runId);
            // Progress that arrives after the end (a batch racing a cancel) changes nothing.
            if (run.Status.IsFinished()) return;
            run.Apply(e);
        }
        updates.RunChanged(runId, queueToo: false);
    }

    /// <summary>
    /// Completed with its result; the result and the chart series are stored. It reaches watchers even when
    /// it could not be stored (shown until the server restarts). False when refused: the run had already ended.
    /// </summary>
    public async Task<bool> CompleteAsync(Guid runId, RunResult result)
    {
        if (!May(runId, RunStatus.Completed, await StoredIfUnknownAsync(runId))) return false;
        RunSeries series;
        lock (_lock) series = Get(runId).Series();
        string? problem = null;
        try
        {
            if (await store.CompleteAsync(runId, result, series, time.GetUtcNow()) is { } ended) return Refused(runId, RunStatus.Completed, ended);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Run {RunId} finished but could not be stored", runId);
            problem = RunEndings.ResultNotSaved(e.Message);
        }
        Apply(runId, RunStatus.Completed, run =>
        {
            (run.Result, run.Error) = (result, problem);
            if (run.Total > 0) run.Done = run.Total;
        });
        meters.RunEnded(RunStatus.Completed, DeviceOf(runId));
        updates.RunChanged(runId, queueToo: true);
        return true;
    }

    /// <summary>
    /// Ended without a result (failed, cancelled, interrupted), and why; watchers hear of it even when it could
    /// not be stored. No message names a file of the server. False when refused: the run had already ended.
    /// </summary>
    public async Task<bool> FinishAsync(Guid runId, RunStatus status, string message)
    {
        if (!status.IsFinished() || status == RunStatus.Completed)
            throw new ArgumentException($"A run ends completed (with a result: {nameof(CompleteAsync)}) or as one of failed, cancelled, interrupted; not {status}.", nameof(status));
        if (!May(runId, status, await StoredIfUnknownAsync(runId))) return false;
        message = paths.Hide(message);
        try
        {
            if (await store.FinishAsync(runId, status, message, time.GetUtcNow()) is { } ended) return Refused(runId, status, ended);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Run {RunId} ended ({Status}) but could not be stored", runId, status);
            message = RunEndings.EndingNotSaved(message, e.Message);
        }
        Apply(runId, status, run => run.Error = message);
        meters.RunEnded(status, DeviceOf(runId));
        updates.RunChanged(runId, queueToo: true);
        return true;
    }

    /// <summary>
    /// The rules, in one place: a run waits, then runs, then ends once. It may wait again (taken back after a
    /// restart), start again (followed again on its worker after a restart), end without starting (cancelled
    /// while waiting, or no longer able to run), but only a started run completes, and nothing follows an end.
    /// </summary>
    public static bool Allows(RunStatus from, RunStatus to) => (from, to) switch
    {
        (RunStatus.Queued, RunStatus.Queued or RunStatus.Running) => true,
        (RunStatus.Running, RunStatus.Running or RunStatus.Completed) => true,
        (RunStatus.Queued or RunStatus.Running, RunStatus.Failed or RunStatus.Cancelled or RunStatus.Interrupted) => true,
        _ => false,
    };

    /// <summary>
    /// The first step of every change: checked against the live state (or the stored one, for a run not live here)
    /// and refused (logged) when the rules do not allow it. An end is claimed here, so two ends racing cannot both pass.
    /// </summary>
    private bool May(Guid runId, RunStatus to, RunStatus? stored)
    {
        RunStatus from;
        lock (_lock)
        {
            var known = _runs.TryGetValue(runId, out var run);
            from = known ? run!.Status : stored ?? RunStatus.Queued;
            if (known && run!.Ending) from = RunStatus.Completed; // another end is being stored: it comes first
            else if (Allows(from, to))
            {
                if (!known) _runs[runId] = run = new LiveRun { Status = from };
                run!.Ending = to.IsFinished();
                return true;
            }
        }
        Refused(runId, to, from);
        return false;
    }

    /// <summary>The last step but one, once the change is kept: the live state every reader sees (then the watchers are nudged).</summary>
    private void Apply(Guid runId, RunStatus to, Action<LiveRun> change)
    {
        lock (_lock)
        {
            var run = Get(runId);
            (run.Status, run.Ending) = (to, false);
            change(run);
            if (!to.IsFinished()) return;
            run.QueuePosition = null;
            // A finished run stays live for a while (its result reaches watchers even when storing failed), then its row is the truth.
            _finished.Enqueue(runId);
            while (_finished.Count > KeepFinished) _runs.Remove(_finished.Dequeue());
        }
    }

    /// <summary>
    /// A worker ended a run after this app had given up on it (it was cut off, then came back): its end is never
    /// applied (the run ended once already, Interrupted), only logged, so the instructor can see what happened.
    /// </summary>
    public async Task RefuseLateAsync(Guid runId, string worker, string outcome)
    {
        RunStatus? from;
        lock (_lock) from = _runs.TryGetValue(runId, out var run) ? run.Status : null;
        try { from ??= await store.StatusAsync(runId); }
        catch (Exception e) { logger.LogDebug(e, "Run {RunId}: its stored status could not be read", runId); }
        logger.LogWarning("Run {RunId}: refused worker {Worker}'s late end ({Outcome}): it is {From} already, and a run ends once.",
            runId, worker, outcome.ToLowerInvariant(), from?.ToString() ?? "unknown");
    }

    /// <summary>Logs a refused change; false, for the caller to return. A run whose row ended meanwhile is no longer claimed.</summary>
    private bool Refused(Guid runId, RunStatus to, RunStatus from)
    {
        lock (_lock) if (_runs.TryGetValue(runId, out var run)) run.Ending = false;
        logger.LogWarning("Run {RunId}: refused to make it {To}: it is {From} already, and {Rule}.", runId, to, from,
            from.IsFinished() ? "a run ends once" : "only a started run completes");
        return false;
    }

    /// <summary>The stored status of a run this server holds no live state of (after a restart, say); null for one it knows.</summary>
    private async Task<RunStatus?> StoredIfUnknownAsync(Guid runId)
    {
        lock (_lock) if (_runs.ContainsKey(runId)) return null;
        return await store.StatusAsync(runId);
    }

    /// <summary>Images per second being featurized now by the runs on a device (read when metrics are scraped).</summary>
    public double ImagesPerSecond(string device)
    {
        lock (_lock)
            return _runs.Values.Where(r => r.Status == RunStatus.Running && r.Stage == RunStage.Featurize && r.Device == device)
                .Sum(r => r.ImagesPerSecond ?? 0);
    }

    private string? DeviceOf(Guid runId)
    {
        lock (_lock) return _runs.TryGetValue(runId, out var run) ? run.Device : null;
    }

    private void SetMembers(Guid runId, int members)
    {
        lock (_lock) Get(runId).Members = members;
    }

    private LiveRun Get(Guid runId)
    {
        if (!_runs.TryGetValue(runId, out var run)) _runs[runId] = run = new LiveRun();
        return run;
    }

    private sealed class Reporter(RunLifecycle lifecycle, Guid runId) : IRunEventSink
    {
        public void Report(RunEvent value) => lifecycle.Report(runId, value);

        public Task RanOnAsync(string worker) => lifecycle.RanOnAsync(runId, worker);
    }

    /// <summary>Mutable live state; only touched under the lifecycle's lock.</summary>
    private sealed class LiveRun
    {
        public RunStatus Status = RunStatus.Queued;
        /// <summary>An end (completed, failed, ...) is being stored; no other change may pass meanwhile.</summary>
        public bool Ending;
        public int? QueuePosition;
        public RunStage? Stage;
        public string? StageDetail, Device, DeviceReason, Error, Worker;
        public int Done, Total, Skipped, Members = 1;
        public double ElapsedSeconds;
        public double? ImagesPerSecond;
        public CpuShare? Cpu;
        public RunResult? Result;
        public DateTimeOffset? StartedAt;
        public readonly ChartSeries Throughput = new(LiveUpdates.MinInterval), ImagesDone = new(LiveUpdates.MinInterval);
        public readonly List<EpochMetrics> Epochs = [];

        public RunSeries Series() => new(Throughput.ToList(), ImagesDone.ToList());

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
