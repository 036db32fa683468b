using System.Collections.Concurrent;

namespace LearnDL.Training.Compute;

/// <summary>
/// Threads of a run's own for its heavy work, never the thread pool's. A run holds a thread for a whole
/// batch's inference, an image's decoding or the head's training; in the web server the pool starts with
/// one thread a core for every page, click and request, and adds more only about twice a second when
/// they are all held. On 2 cores a running run held them all, and a student's click waited 0.4-1.2 s
/// for a thread (60 ms once the run had threads of its own).
/// As a scheduler: work started on it (<see cref="Start"/>) and everything it awaits resume on these
/// threads, so async loops keep their shape. Give it a thread for each loop that runs at once.
/// </summary>
public sealed class ComputeThreads : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _queue = new();
    private readonly int _count;

    public ComputeThreads(int count, string name)
    {
        _count = count;
        for (int i = 0; i < count; i++)
            new Thread(Serve) { IsBackground = true, Name = $"{name} {i + 1}" }.Start();
    }

    /// <summary>Starts <paramref name="work"/> on these threads; its awaits come back to them.</summary>
    public Task Start(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    /// <summary>Runs synchronous work on a thread made for it, off the pool.</summary>
    public static Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.LongRunning, Default);

    /// <inheritdoc cref="RunAsync{T}"/>
    public static Task RunAsync(Action work, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.LongRunning, Default);

    public override int MaximumConcurrencyLevel => _count;

    private void Serve()
    {
        foreach (var task in _queue.GetConsumingEnumerable()) TryExecuteTask(task);
    }

    protected override void QueueTask(Task task)
    {
        try { _queue.Add(task); }
        // Something still awaiting after the work ended (a late cancellation callback, say) finishes on the pool.
        catch (InvalidOperationException) { ThreadPool.UnsafeQueueUserWorkItem(_ => TryExecuteTask(task), null); }
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Current == this && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    /// <summary>The threads end once the work already queued is done.</summary>
    public void Dispose() => _queue.CompleteAdding();
}
