using System.Diagnostics;
using System.Threading.Channels;
using LearnDL.Training.Runs;
using Microsoft.Extensions.Logging;

namespace LearnDL.Workers;

/// <summary>
/// Sends a run's events from the engine's threads to the web app, in order, off the engine: the engine
/// never waits on the database. Progress is thinned to a few notes a second (NOTIFY is for news, not a
/// stream); stages, epochs and the last progress of a stage always go.
/// </summary>
public sealed class EventPublisher : IProgress<RunEvent>, IAsyncDisposable
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromMilliseconds(250);
    private readonly Channel<RunEvent> _events = Channel.CreateUnbounded<RunEvent>(new() { SingleReader = true });
    private readonly Dictionary<Type, long> _lastSent = [];
    private readonly Lock _lock = new();
    private readonly Task _sending;

    public EventPublisher(RunExchange exchange, Guid runId, string worker, DatabaseClock clock, ILogger logger)
    {
        _sending = Task.Run(async () =>
        {
            await foreach (var e in _events.Reader.ReadAllAsync())
            {
                try { await exchange.ReportAsync(new RunNote(runId, worker, clock.Now, e)); }
                catch (Exception failure) when (failure is not OutOfMemoryException)
                {
                    // A lost event is a chart point; the run goes on and its result still arrives.
                    logger.LogWarning(failure, "Could not send an event of run {RunId}", runId);
                }
            }
        });
    }

    public void Report(RunEvent value)
    {
        var last = value is ImagesFeaturized f && f.Done == f.Total;
        if (value is ImagesFeaturized or CpuMeasured && !last)
        {
            lock (_lock)
            {
                var now = Stopwatch.GetTimestamp();
                if (_lastSent.TryGetValue(value.GetType(), out var then) && Stopwatch.GetElapsedTime(then, now) < ProgressEvery) return;
                _lastSent[value.GetType()] = now;
            }
        }
        _events.Writer.TryWrite(value);
    }

    /// <summary>Sends what is left, so the final progress reaches the web app before the result does.</summary>
    public async ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        await _sending;
    }
}
