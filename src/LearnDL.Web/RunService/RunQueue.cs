using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Training.Precision;
using LearnDL.Web.Data;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using Microsoft.Extensions.Options;
using LearnDL.Web.Live;

namespace LearnDL.Web.RunService;

/// <summary>What a queue of runs offers pages, the API and the worker. One server's queue is <see cref="RunQueue"/>.</summary>
public interface IRunQueue
{
    RunLimits Limits { get; }

    /// <summary>Problems with a request, without queueing it; empty when it can run. An owner's own uploads count as datasets.</summary>
    Task<IReadOnlyList<string>> CheckAsync(RunSettings settings, RunOwner? owner = null);

    /// <summary>Queues a run (or joins an identical shared one), or throws <see cref="RunRejectedException"/>.</summary>
    /// <param name="classDemo">Started by the instructor for the whole class to watch (the class demo only).</param>
    Task<Admission> SubmitAsync(RunSettings settings, RunOwner owner, string? group = null, bool classDemo = false);

    /// <summary>
    /// Queues work that needs a device but is not a run (a lesson's demonstration): it waits its turn
    /// with the runs, counts against the same limits, and can be cancelled like one. Not stored.
    /// </summary>
    WorkTicket SubmitWork(string title, ComputeDevice device, RunOwner owner, Func<CancellationToken, Task> work);

    /// <summary>
    /// Stops a queued or running run (or work). <paramref name="byOwnerId"/>: someone on the run leaving
    /// it; when several people are on a shared run, only they get off it, and the run stops when the
    /// last one leaves; someone not on it gets <see cref="CancelOutcome.NotAMember"/>. Null stops it for
    /// everyone (the instructor; see <see cref="RunCancel"/> for who may do which).
    /// </summary>
    Task<CancelOutcome> CancelAsync(Guid runId, string? byOwnerId = null);

    /// <summary>
    /// Everything of one person at once (a student removed, or the instructor's "stop all of their runs"): the
    /// runs and work that are theirs alone stop while waiting, and while running too when <paramref name="running"/>;
    /// shared runs that others are on go on without them.
    /// </summary>
    Task<CancelledRuns> CancelAllOfAsync(string ownerId, bool running);

    /// <summary>Stops (or restarts) a device's queue: running runs finish, waiting ones wait.</summary>
    void SetPaused(ComputeDevice device, bool paused);

    /// <summary>New limits at run time; they apply to the next admissions and to the workers at once.</summary>
    void SetLimits(RunLimits limits);

    /// <summary>Place in its device's queue (1 = next), or null when not waiting.</summary>
    int? PositionOf(Guid runId);

    /// <summary>Who runs and who waits, per device, in the order they will start.</summary>
    QueueView View();

    /// <summary>A run this queue holds (waiting or running), or null.</summary>
    QueuedRun? Find(Guid runId);
}

/// <summary>How a cancel went: the run is stopping, the person got off a shared run, it had ended, or they are not on it.</summary>
public enum CancelOutcome { NotInProgress, Cancelled, Left, NotAMember }

/// <summary>What <see cref="IRunQueue.CancelAllOfAsync"/> did: runs (or work) stopped, and shared runs the person got off.</summary>
public sealed record CancelledRuns(int Stopped, int Left);

/// <summary>The limits that hold a class together; start from appsettings.json.</summary>
public sealed record RunLimits(int MaxImagesPerRun, int MaxEpochs, int MaxQueuedRuns, int MaxQueuedRunsPerOwner, int MaxConcurrentCpuRuns, int MaxConcurrentGpuRuns);

/// <summary>A run or other work in a queue, as views show it. Work that is not a run has no dataset (null).</summary>
public sealed record QueuedRun(
    Guid Id, string OwnerId, string OwnerName, string Title, string? Dataset, int Images, int Epochs, string DeviceRequested, int Members, DateTimeOffset SubmittedAt,
    string Precision = "fp32");

/// <summary>A device's line as shown: its run slots (on the wire "workers", as scripts read it), who runs, who waits.</summary>
public sealed record LaneView(ComputeDevice Device, [property: System.Text.Json.Serialization.JsonPropertyName("workers")] int Slots, bool Paused, IReadOnlyList<QueuedRun> Running, IReadOnlyList<QueuedRun> Waiting);

public sealed record QueueView(IReadOnlyList<LaneView> Lanes);

/// <summary>What became of the runs that were waiting when the server stopped: back in line, or failed (with the reason stored).</summary>
public sealed record RestoreOutcome(int Queued, int Failed);

/// <summary>
/// This server's run queue. Admission is atomic: limits are checked and a place reserved under one
/// lock before anything is awaited, so thirty simultaneous clicks cannot all pass a limit of twenty.
/// Each device has its own FIFO lane (owners taking turns) served by its own number of workers.
/// </summary>
public sealed class RunQueue : IRunQueue
{
    private readonly RunLifecycle _runs;
    private readonly LiveUpdates _updates;
    private readonly DatasetDirectory _datasets;
    private readonly UploadedDatasets _uploads;
    private readonly StudentRegistry _students;
    private readonly IRunExecutor _executor;
    private readonly ServerPaths _paths;
    private readonly StudentNetworks _networks;
    private readonly TimeProvider _time;
    private readonly bool _shareIdentical;
    private readonly int _maxPerNetwork, _maxForStudents;
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, QueueItem> _jobs = [];
    private readonly Dictionary<string, RunJob> _shared = [];
    private readonly Dictionary<ComputeDevice, DeviceLane> _lanes;
    private readonly Dictionary<ComputeDevice, TaskCompletionSource> _wake = [];
    private RunLimits _limits;

    private bool _capacityFromWorkers;

    public RunQueue(RunLifecycle runs, LiveUpdates updates, DatasetDirectory datasets, UploadedDatasets uploads, StudentRegistry students, IRunExecutor executor,
        ServerPaths paths, StudentNetworks networks, IOptions<LearnDLOptions> options, TimeProvider time)
    {
        (_runs, _updates, _datasets, _uploads, _students, _executor, _paths, _networks, _time) = (runs, updates, datasets, uploads, students, executor, paths, networks, time);
        // The queue's views show a renamed student's new name at once (the queue lives as long as the register).
        _students.Changed += Renamed;
        var o = options.Value;
        _shareIdentical = o.ShareIdenticalRuns;
        (_maxPerNetwork, _maxForStudents) = (o.Class.MaxQueuedRunsPerAddress, o.Class.MaxQueuedStudentRuns);
        _limits = new(o.MaxImagesPerRun, o.MaxEpochs, o.MaxQueuedRuns, o.MaxQueuedRunsPerOwner, o.MaxConcurrentCpuRuns, o.MaxConcurrentGpuRuns);
        _lanes = new()
        {
            [ComputeDevice.Cpu] = new DeviceLane(ComputeDevice.Cpu, o.MaxConcurrentCpuRuns),
            [ComputeDevice.Gpu] = new DeviceLane(ComputeDevice.Gpu, o.MaxConcurrentGpuRuns),
        };
        foreach (var device in _lanes.Keys) _wake[device] = NewWake();
    }

    public RunLimits Limits { get { lock (_lock) return _limits; } }

    public async Task<IReadOnlyList<string>> CheckAsync(RunSettings settings, RunOwner? owner = null) => (await ValidateAsync(settings, owner)).Problems;

    public async Task<Admission> SubmitAsync(RunSettings request, RunOwner owner, string? group = null, bool classDemo = false)
    {
        request = request with { Dataset = request.Dataset.Trim() };
        // A tab left open by a student no longer in the class starts nothing; a renamed one's run carries the new name.
        try { owner = await _students.InClassAsync(owner); }
        catch (NotInClassException e) { throw new RunRejectedException([e.Message]); }
        var (problems, device, engineDataset) = await ValidateAsync(request, owner);
        if (problems.Count > 0) throw new RunRejectedException(problems);

        RunJob job;
        bool joined = false;
        lock (_lock)
        {
            if (_shareIdentical && request.Shared && _shared.TryGetValue(SameRunKey(request), out var same) && !same.CancelRequested)
            {
                if (!same.Members.Contains(owner.Id)) same.Members.Add(owner.Id);
                (job, joined) = (same, true);
            }
            else
            {
                var network = CheckLimits(owner);
                job = new RunJob(Guid.NewGuid(), request, engineDataset!, device!, owner, _time.GetUtcNow()) { Network = network, ClassDemo = classDemo, Trace = System.Diagnostics.Activity.Current?.Context ?? default };
                _jobs[job.Id] = job;
                if (request.Shared) _shared[SameRunKey(request)] = job;
            }
        }
        return joined ? await JoinAsync(job, owner) : await AdmitAsync(job, group);
    }

    public WorkTicket SubmitWork(string title, ComputeDevice device, RunOwner owner, Func<CancellationToken, Task> work)
    {
        var choice = new DeviceChoice(device, AdmissionMessages.WorkAskedFor(title, device.ToId()));
        var item = new WorkItem(Guid.NewGuid(), title, work, choice, owner, _time.GetUtcNow());
        lock (_lock)
        {
            item.Network = CheckLimits(owner);
            _jobs[item.Id] = item;
            item.State = JobState.Waiting;
            _lanes[device].Enqueue(item);
            Wake(device);
        }
        _updates.QueueChanged();
        return new(item.Id, item.Started.Task, item.Completion.Task);
    }

    /// <summary>
    /// Under the lock: refuses an admission that a limit does not allow; returns the owner's network. Besides the
    /// server's and each person's limits, students are counted together (the rest of the queue stays the
    /// instructor's) and by the network their names were made from, so many names made by one student do not
    /// buy more places than one network's share.
    /// </summary>
    private string? CheckLimits(RunOwner owner)
    {
        var network = owner.Role == OwnerRole.Student ? _networks.Of(owner.Id) : null;
        if (Refusal(owner, network) is { } refusal) throw new RunRejectedException([AdmissionMessages.Refused(refusal)], limitReached: true);
        return network;
    }

    /// <summary>Under the lock: the first limit this owner's next run would pass, with its figures, or null.</summary>
    private QueueRefusal? Refusal(RunOwner owner, string? network)
    {
        if (_jobs.Count >= _limits.MaxQueuedRuns) return new(QueueLimit.Server, _jobs.Count, _limits.MaxQueuedRuns);
        var mine = _jobs.Values.Count(j => j.Owner.Id == owner.Id);
        if (mine >= _limits.MaxQueuedRunsPerOwner) return new(QueueLimit.Person, mine, _limits.MaxQueuedRunsPerOwner);
        if (owner.Role != OwnerRole.Student) return null;
        var students = _jobs.Values.Count(j => j.Owner.Role == OwnerRole.Student);
        if (students >= _maxForStudents) return new(QueueLimit.Students, students, _maxForStudents);
        var fromNetwork = network is null ? 0 : _jobs.Values.Count(j => j.Network == network);
        return network is not null && fromNetwork >= _maxPerNetwork ? new(QueueLimit.Network, fromNetwork, _maxPerNetwork) : null;
    }

    private async Task<Admission> AdmitAsync(RunJob job, string? group)
    {
        try
        {
            await _runs.AdmitAsync(new RunRecord
            {
                Id = job.Id, CreatedAt = job.SubmittedAt, Status = RunStatus.Queued, OwnerId = job.Owner.Id, Group = group,
                Settings = job.Settings, ClassDemo = job.ClassDemo,
            });
        }
        catch (Exception e)
        {
            lock (_lock) Forget(job);
            job.Stored.TrySetException(e);
            throw new RunRejectedException([AdmissionMessages.NotStored(e.Message)]);
        }
        job.Stored.TrySetResult();

        bool cancelledMeanwhile;
        int members;
        lock (_lock)
        {
            cancelledMeanwhile = job.CancelRequested;
            members = job.Members.Count;
            if (cancelledMeanwhile) Forget(job);
            else Enqueue(job);
        }
        if (cancelledMeanwhile) await FinishUnstartedAsync(job);
        return new(job.Id, false, members);
    }

    private async Task<Admission> JoinAsync(RunJob job, RunOwner owner)
    {
        try { await job.Stored.Task; }
        catch (Exception e) { throw new RunRejectedException([AdmissionMessages.JoinedNotStored(e.Message)]); }
        int members;
        lock (_lock) members = job.Members.Count;
        await _runs.JoinedAsync(job.Id, owner.Id, members);
        return new(job.Id, true, members);
    }

    public async Task<CancelOutcome> CancelAsync(Guid runId, string? byOwnerId = null)
    {
        QueueItem? job;
        var removedWaiting = false;
        var membersLeft = 0;
        lock (_lock)
        {
            if (!_jobs.TryGetValue(runId, out job) || job.State == JobState.Finished) return CancelOutcome.NotInProgress;
            // Someone who is not on it may not touch it.
            if (byOwnerId is not null && !(job is RunJob on ? on.Members.Contains(byOwnerId) : job.Owner.Id == byOwnerId))
                return CancelOutcome.NotAMember;
            if (job.CancelRequested) return CancelOutcome.Cancelled;
            if (byOwnerId is not null && job is RunJob { Members.Count: > 1 } shared)
            {
                // One of several only gets off it.
                shared.Members.Remove(byOwnerId);
                membersLeft = shared.Members.Count;
            }
            else
            {
                job.CancelRequested = true;
                if (job.State == JobState.Waiting)
                {
                    var lane = _lanes[job.Device.Device];
                    lane.RemoveWaiting(job);
                    Forget(job);
                    PublishPositions(lane);
                    removedWaiting = true;
                }
            }
        }
        if (membersLeft > 0)
        {
            // Others are still on this shared run: only this person leaves it.
            await _runs.LeftAsync(runId, byOwnerId!, membersLeft);
            return CancelOutcome.Left;
        }
        // A running run stops at its next batch; its token source is never disposed, so this is safe at any moment.
        if (!removedWaiting) job.Cancellation.Cancel();
        else if (job is RunJob run) await FinishUnstartedAsync(run);
        else if (job is WorkItem work)
        {
            work.Started.TrySetCanceled();
            work.Completion.TrySetCanceled();
            _updates.QueueChanged();
        }
        return CancelOutcome.Cancelled;
    }

    public async Task<CancelledRuns> CancelAllOfAsync(string ownerId, bool running)
    {
        List<Guid> theirs;
        lock (_lock)
            theirs = _jobs.Values.Where(j => j.State != JobState.Finished && (j is RunJob run ? run.Members.Contains(ownerId) : j.Owner.Id == ownerId))
                .Where(j => running || j.State != JobState.Running || j is RunJob { Members.Count: > 1 })
                .Select(j => j.Id).ToList();
        var (stopped, left) = (0, 0);
        foreach (var id in theirs)
            switch (await CancelAsync(id, ownerId))
            {
                case CancelOutcome.Cancelled: stopped++; break;
                case CancelOutcome.Left: left++; break;
            }
        return new(stopped, left);
    }

    private void Renamed(string studentId, string? name)
    {
        if (name is null) return;
        var renamed = false;
        lock (_lock)
            foreach (var job in _jobs.Values.Where(j => j.Owner.Id == studentId))
                (job.Owner, renamed) = (job.Owner with { Name = name }, true);
        if (renamed) _updates.QueueChanged();
    }

    public void SetPaused(ComputeDevice device, bool paused)
    {
        lock (_lock)
        {
            _lanes[device].Paused = paused;
            Wake(device);
        }
        _updates.QueueChanged();
    }

    public void SetLimits(RunLimits limits)
    {
        if (LimitBounds.Problems(limits) is { Count: > 0 } problems) throw new ArgumentException(string.Join(" ", problems));
        lock (_lock)
        {
            _limits = limits;
            // With worker machines the dashboard's numbers are this app's own: its lessons' demonstrations.
            if (_capacityFromWorkers)
            {
                _lanes[ComputeDevice.Cpu].LocalSlots = limits.MaxConcurrentCpuRuns;
                _lanes[ComputeDevice.Gpu].LocalSlots = limits.MaxConcurrentGpuRuns;
            }
            else
            {
                _lanes[ComputeDevice.Cpu].Slots = limits.MaxConcurrentCpuRuns;
                _lanes[ComputeDevice.Gpu].Slots = limits.MaxConcurrentGpuRuns;
            }
            foreach (var device in _lanes.Keys) Wake(device);
        }
        _updates.QueueChanged();
    }

    /// <summary>
    /// With worker machines, how many runs a device's line may hand out at once is the slots of its live
    /// workers (not the dashboard's numbers, which are this server's own): a run is handed to Hangfire only
    /// when a slot is free, so the order stays LearnDL's.
    /// </summary>
    public void SetCapacity(ComputeDevice device, int slots)
    {
        lock (_lock)
        {
            _capacityFromWorkers = true;
            var lane = _lanes[device];
            lane.LocalSlots ??= device == ComputeDevice.Gpu ? _limits.MaxConcurrentGpuRuns : _limits.MaxConcurrentCpuRuns;
            if (lane.Slots == slots) return;
            lane.Slots = slots;
            Wake(device);
        }
        _updates.QueueChanged();
    }

    public int? PositionOf(Guid runId)
    {
        lock (_lock)
            return _jobs.TryGetValue(runId, out var job) && job.State == JobState.Waiting ? PositionIn(_lanes[job.Device.Device], job) : null;
    }

    public QueueView View()
    {
        lock (_lock)
            return new(_lanes.Values.Select(l => new LaneView(l.Device, l.Slots, l.Paused,
                l.Running.Select(Describe).ToList(), l.WaitingInOrder().Select(Describe).ToList())).ToList());
    }

    public QueuedRun? Find(Guid runId)
    {
        lock (_lock) return _jobs.TryGetValue(runId, out var job) ? Describe(job) : null;
    }

    /// <summary>For the worker: waits for the next run this device may start, and marks it running.</summary>
    internal async Task<QueueItem> NextAsync(ComputeDevice device, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wake;
            lock (_lock)
            {
                var lane = _lanes[device];
                if (lane.TakeNext() is { } job)
                {
                    // A run's start is the lifecycle's (the worker reports it); the queue's views change now.
                    job.State = JobState.Running;
                    _updates.QueueChanged();
                    PublishPositions(lane);
                    return job;
                }
                wake = _wake[device].Task;
            }
            await wake.WaitAsync(cancellationToken);
        }
    }

    /// <summary>For the worker: the run is over (however it ended), its place is free.</summary>
    internal void Complete(QueueItem job)
    {
        lock (_lock)
        {
            var lane = _lanes[job.Device.Device];
            lane.RemoveRunning(job);
            Forget(job);
            Wake(lane.Device);
        }
    }

    /// <summary>Problems, the device, and the dataset as the engine names it (an upload becomes its folder).</summary>
    /// <param name="checkLimits">False for a run admitted before a restart: the limits it met then still hold for it.</param>
    private async Task<(IReadOnlyList<string> Problems, DeviceChoice? Device, string? EngineDataset)> ValidateAsync(RunSettings request, RunOwner? owner, bool checkLimits = true)
    {
        var limits = Limits;
        var problems = request.Validate().ToList();
        if (checkLimits && request.Images > limits.MaxImagesPerRun)
            problems.Add(AdmissionMessages.TooManyImages(limits.MaxImagesPerRun));
        if (checkLimits && request.Epochs > limits.MaxEpochs)
            problems.Add(AdmissionMessages.TooManyEpochs(limits.MaxEpochs));
        var upload = UploadedDatasets.IsUploadName(request.Dataset);
        var (info, datasetProblem) = upload ? await _uploads.DescribeAsync(request.Dataset, owner) : _datasets.Describe(request.Dataset);
        // An upload's folder named as a folder dataset would go round the rules on who may use it.
        if (!upload && info is not null && _uploads.IsInUploadsFolder(info))
            (info, datasetProblem) = (null, AdmissionMessages.UploadNamedAsFolder(request.Dataset.Trim()));
        if (datasetProblem is not null) problems.Add(_paths.Hide(datasetProblem));
        else if (request.Images > info!.ImageCount) problems.Add(AdmissionMessages.FewerImages(info.Title, info.ImageCount));
        var engineDataset = upload && info is not null ? info.Name : request.Dataset.Trim();
        if (datasetProblem is null && _executor.DatasetProblem(engineDataset, upload) is { } elsewhere) problems.Add(elsewhere);
        DeviceChoice? device = null;
        try { device = await _executor.ChooseDeviceAsync(request.Device); }
        catch (DeviceUnavailableException e) { problems.Add(e.Message); }
        return (problems, device, engineDataset);
    }

    #region After a restart: runs that were waiting wait again

    /// <summary>
    /// Puts runs that were waiting when the server stopped back in their device's line, oldest first,
    /// with their ids, owners and members, without storing them again: their pages and API addresses
    /// go on working. Each is checked as at admission (its dataset still there, its device still
    /// usable) but not against the limits, which it met when it was admitted; one that can no longer
    /// run is marked failed with the reason. Call it before the workers start.
    /// </summary>
    /// <param name="names">Display names by owner id (students' from the class's register).</param>
    public async Task<RestoreOutcome> RestoreAsync(IEnumerable<WaitingRun> runs, IReadOnlyDictionary<string, string> names)
    {
        var (back, failed) = (0, 0);
        foreach (var (record, members) in runs.OrderBy(r => r.Record.CreatedAt))
        {
            lock (_lock) if (_jobs.ContainsKey(record.Id)) continue;
            var owner = RestoredOwner(record.OwnerId, names);
            var request = record.Settings;
            var (problems, device, engineDataset) = request is null
                ? ([AdmissionMessages.UnknownStoredDevice(record.DeviceRequested)], null, null)
                : await ValidateAsync(request, owner, checkLimits: false);
            if (problems.Count > 0)
            {
                failed++;
                await _runs.FinishAsync(record.Id, RunStatus.Failed, AdmissionMessages.CannotRunAfterRestart(problems));
                continue;
            }
            var job = Restored(record, members, request!, engineDataset!, device!, owner);
            lock (_lock)
            {
                Hold(job);
                Enqueue(job);
            }
            back++;
        }
        return new(back, failed);
    }

    /// <summary>
    /// Takes back runs that were running on worker machines when this app stopped and go on there: they
    /// count as running again (against the limits and the capacity) and the workers of this app follow
    /// them to their end, storing the result as for any run. Call it before the workers start.
    /// </summary>
    public void Resume(IEnumerable<WaitingRun> runs, IReadOnlyDictionary<string, string> names)
    {
        foreach (var (record, members) in runs)
        {
            var request = record.Settings;
            if (request is null || record.Device is not { } deviceId || !DeviceNames.TryParse(deviceId, out var deviceRequest)) continue;
            var device = deviceRequest == DeviceRequest.Gpu ? ComputeDevice.Gpu : ComputeDevice.Cpu;
            var job = Restored(record, members, request, record.Dataset, new DeviceChoice(device, record.DeviceReason ?? ""), RestoredOwner(record.OwnerId, names));
            lock (_lock)
            {
                Hold(job);
                job.State = JobState.Running;
                _lanes[device].Resume(job);
                Wake(device);
            }
        }
    }

    /// <summary>A stored run taken back: everyone on it as stored (its starter unless they left it, and everyone who joined it), already in the database.</summary>
    private static RunJob Restored(RunRecord record, IReadOnlyList<string> members, RunSettings settings, string engineDataset, DeviceChoice device, RunOwner owner)
    {
        var job = new RunJob(record.Id, settings, engineDataset, device, owner, record.CreatedAt) { StartedBefore = record.StartedAt, ClassDemo = record.ClassDemo };
        if (members.Count > 0)
        {
            job.Members.Clear();
            job.Members.AddRange(members);
        }
        job.Stored.TrySetResult();
        return job;
    }

    /// <summary>Under the lock: the queue holds the run again, and an identical shared request may join it.</summary>
    private void Hold(RunJob job)
    {
        job.Network = _networks.Of(job.Owner.Id);
        _jobs[job.Id] = job;
        if (job.Settings.Shared) _shared.TryAdd(SameRunKey(job.Settings), job);
    }

    /// <summary>The owner of a stored run. The role is read from the id's form (the instructor, a student, a personal-mode learner): it decides which uploads they may run.</summary>
    private static RunOwner RestoredOwner(string id, IReadOnlyDictionary<string, string> names)
    {
        var role = id == RunOwner.InstructorId ? OwnerRole.Instructor : id.StartsWith("student-", StringComparison.Ordinal) ? OwnerRole.Student : OwnerRole.Learner;
        return new(id, names.GetValueOrDefault(id) ?? id, role);
    }

    /// <summary>What makes two requests the same run: every setting but sharing itself.</summary>
    private static string SameRunKey(RunSettings s) => RunWire.Write(s with { Dataset = s.Dataset.Trim().ToLowerInvariant() });

    #endregion

    /// <summary>
    /// Under the lock: the run waits in its device's line. Its lifecycle hears of it here, under the lock, so a
    /// worker cannot report the start before the run is known to wait.
    /// </summary>
    private void Enqueue(RunJob job)
    {
        var lane = _lanes[job.Device.Device];
        job.State = JobState.Waiting;
        lane.Enqueue(job);
        _runs.Queued(job.Id, job.Device, PositionIn(lane, job) ?? 1, job.Members.Count);
        Wake(lane.Device);
    }

    private Task FinishUnstartedAsync(RunJob job) => _runs.FinishAsync(job.Id, RunStatus.Cancelled, RunEndings.CancelledBeforeStart);

    /// <summary>Under the lock: the job no longer counts against any limit and can no longer be joined.</summary>
    private void Forget(QueueItem job)
    {
        job.State = JobState.Finished;
        _jobs.Remove(job.Id);
        if (job is RunJob run && _shared.TryGetValue(SameRunKey(run.Settings), out var same) && same == run) _shared.Remove(SameRunKey(run.Settings));
    }

    private static int? PositionIn(DeviceLane lane, QueueItem job)
    {
        var index = lane.WaitingInOrder().ToList().IndexOf(job);
        return index < 0 ? null : index + 1;
    }

    private void PublishPositions(DeviceLane lane) =>
        _runs.Positions(lane.WaitingInOrder().Select((j, i) => (j.Id, i + 1)).ToDictionary(p => p.Id, p => p.Item2));

    private void Wake(ComputeDevice device)
    {
        var old = _wake[device];
        _wake[device] = NewWake();
        old.TrySetResult();
        PublishPositions(_lanes[device]);
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static QueuedRun Describe(QueueItem item) => item switch
    {
        RunJob j => new(j.Id, j.Owner.Id, j.Owner.Name, j.Title, j.Settings.Dataset, j.Settings.Images, j.Settings.Epochs,
            j.Settings.Device.ToId(), j.Members.Count, j.SubmittedAt, j.Settings.Precision.ToId()),
        _ => new(item.Id, item.Owner.Id, item.Owner.Name, item.Title, null, 0, 0, item.Device.Device.ToId(), 1, item.SubmittedAt),
    };
}
