using System.Collections.Concurrent;
using LearnDL.Training.Runs;
using LearnDL.Web.RunService;
using LearnDL.Workers;
using Npgsql;

namespace LearnDL.Web.Workers;

/// <summary>
/// One LISTEN connection for the whole app: workers' run events go straight to the runs' sinks (and so
/// to the run's lifecycle and the live pages), "done" wakes the executor that follows the run. NOTIFY does not
/// replay, so after a reconnect every followed run is given its latest event again from the database.
/// </summary>
public sealed class JobsListener(JobsDatabase database, RunExchange exchange, DatabaseClock clock, RunLifecycle lifecycle, ILogger<JobsListener> logger) : BackgroundService
{
    private const int LatencyWindow = 512;
    private readonly ConcurrentDictionary<Guid, Follower> _followers = new();
    private readonly Queue<double> _latencies = new();
    private readonly Lock _lock = new();

    /// <summary>Follows a run's events and end until disposed.</summary>
    public Follower Follow(Guid runId, IRunEventSink sink)
    {
        var follower = new Follower(sink, () => _followers.TryRemove(runId, out _));
        _followers[runId] = follower;
        return follower;
    }

    /// <summary>Worker event to this app's lifecycle, over the last events: sent to the moment the sink had it, both on the database's clock (machines' clocks differ).</summary>
    public EventLatency? Latency()
    {
        double[] sorted;
        lock (_lock) sorted = [.. _latencies.Order()];
        if (sorted.Length == 0) return null;
        return new(sorted.Length, Math.Round(sorted[sorted.Length / 2], 1), Math.Round(sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.95))], 1));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.Source.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Receive(e.Channel, e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {JobsDatabase.EventsChannel}; LISTEN {JobsDatabase.DoneChannel}; LISTEN {JobsDatabase.LateChannel};", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                if (!first) await ResyncAsync(stoppingToken);
                first = false;
                while (true) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
            {
                logger.LogWarning("Listening to the workers failed, reconnecting: {Message}", e.Message);
                first = false;
                try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); } catch (OperationCanceledException) { return; }
            }
        }
    }

    private void Receive(string channel, string payload)
    {
        try
        {
            if (channel == JobsDatabase.DoneChannel)
            {
                if (Guid.TryParse(payload, out var id) && _followers.TryGetValue(id, out var done)) done.Wake();
                return;
            }
            if (channel == JobsDatabase.LateChannel)
            {
                var late = RunWire.Read<LateEnd>(payload);
                _ = lifecycle.RefuseLateAsync(late.Run, late.Worker, late.Outcome.ToString());
                return;
            }
            var note = RunWire.Read<RunNote>(payload);
            if (!_followers.TryGetValue(note.Run, out var follower)) return;
            follower.Sink.Report(note.Event);
            // The first news from a worker: the executor looks at the attempt now, so the page names the machine at once.
            if (follower.HeardFrom(note.Worker)) follower.Wake();
            lock (_lock)
            {
                _latencies.Enqueue((clock.Now - note.Sent).TotalMilliseconds);
                if (_latencies.Count > LatencyWindow) _latencies.Dequeue();
            }
        }
        catch (System.Text.Json.JsonException e)
        {
            logger.LogWarning("A worker's note could not be read: {Message}", e.Message);
        }
    }

    /// <summary>After a reconnect: what was missed is replaced by each run's latest event, and every follower checks how its run stands.</summary>
    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        foreach (var (id, follower) in _followers)
        {
            if (await exchange.AttemptAsync(id, cancellationToken) is { LastEvent: { } last })
                follower.Sink.Report(RunWire.Read<RunNote>(last).Event);
            follower.Wake();
        }
    }

    /// <summary>A run being followed: its sink, and a signal that something changed (it ended, or the connection came back).</summary>
    public sealed class Follower(IRunEventSink sink, Action stop) : IDisposable
    {
        private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _worker;

        public IRunEventSink Sink => sink;

        public void Wake() => Volatile.Read(ref _wake).TrySetResult();

        /// <summary>True the first time a worker's name is heard (and again if another takes over).</summary>
        public bool HeardFrom(string worker) => Interlocked.Exchange(ref _worker, worker) != worker;

        /// <summary>
        /// Waits for a wake, a token, or <paramref name="timeout"/>, whichever comes first; never throws.
        /// A wake since the last wait ends it at once, so none is lost between two looks at the run.
        /// </summary>
        public async Task WaitAsync(TimeSpan timeout, CancellationToken a, CancellationToken b)
        {
            var wake = Volatile.Read(ref _wake);
            if (!wake.Task.IsCompleted)
            {
                using var either = CancellationTokenSource.CreateLinkedTokenSource(a, b);
                either.CancelAfter(timeout);
                await wake.Task.WaitAsync(either.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            if (wake.Task.IsCompleted) Interlocked.CompareExchange(ref _wake, new(TaskCreationOptions.RunContinuationsAsynchronously), wake);
        }

        public void Dispose() => stop();
    }
}
