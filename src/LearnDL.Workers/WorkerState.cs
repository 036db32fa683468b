using System.Collections.Concurrent;

namespace LearnDL.Workers;

/// <summary>Who this worker is and what it is running now: the runs a cancel request or a second Ctrl+C can reach.</summary>
public sealed class WorkerState(WorkerIdentity identity)
{
    private readonly ConcurrentDictionary<Guid, RunningRun> _running = new();

    public WorkerIdentity Identity => identity;
    public int Busy => _running.Count;
    public IReadOnlyCollection<Guid> Running => [.. _running.Keys];
    public bool Draining { get; private set; }
    /// <summary>Completes when this worker has nothing left to run after it began draining.</summary>
    public TaskCompletionSource Drained { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A run starts here; dispose the handle when it ends.</summary>
    public RunningRun Begin(Guid runId, CancellationToken hangfireToken)
    {
        var run = new RunningRun(runId, hangfireToken, () => End(runId));
        _running[runId] = run;
        return run;
    }

    /// <summary>Someone stopped this run in the web app.</summary>
    public void Cancel(Guid runId)
    {
        if (_running.TryGetValue(runId, out var run)) run.Stop(RunStopReason.Cancelled);
    }

    /// <summary>The web app gave up on this run while this worker was cut off: its work stops (its end will be refused anyway).</summary>
    public void Abandoned(Guid runId)
    {
        if (_running.TryGetValue(runId, out var run)) run.Stop(RunStopReason.Abandoned);
    }

    /// <summary>Takes no new runs; <see cref="Drained"/> completes once the running ones end.</summary>
    public void Drain()
    {
        Draining = true;
        if (_running.IsEmpty) Drained.TrySetResult();
    }

    /// <summary>A second Ctrl+C: the running runs stop now (they end Interrupted, and can be run again).</summary>
    public void StopAll()
    {
        foreach (var run in _running.Values) run.Stop(RunStopReason.WorkerStopped);
    }

    private void End(Guid runId)
    {
        _running.TryRemove(runId, out _);
        if (Draining && _running.IsEmpty) Drained.TrySetResult();
    }
}

public enum RunStopReason { None, Cancelled, WorkerStopped, Abandoned }

/// <summary>A run in progress on this worker: its token, and why it was stopped, if it was.</summary>
public sealed class RunningRun : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Action _ended;

    internal RunningRun(Guid runId, CancellationToken hangfireToken, Action ended)
    {
        RunId = runId;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(hangfireToken);
        _ended = ended;
    }

    public Guid RunId { get; }
    public CancellationToken Token => _stop.Token;
    public RunStopReason Reason { get; private set; }

    internal void Stop(RunStopReason reason)
    {
        if (Reason == RunStopReason.None) Reason = reason;
        try { _stop.Cancel(); }
        catch (ObjectDisposedException) { } // it ended meanwhile

    }

    public void Dispose()
    {
        _ended();
        _stop.Dispose();
    }
}

/// <summary>What a worker tells the class about itself when it joins.</summary>
public sealed record WorkerIdentity(string Name, int Slots, string CacheFolder);
