using LearnDL.Web.Datasets;

namespace LearnDL.Web.Features.Runs;

/// <summary>
/// What classifying pictures may cost the server (<see cref="ClassifyOptions"/>): one classification at a time
/// per person, a few a minute after a small burst, the memory of all those in progress within a bound, and at
/// most a few running at once, so a class trying pictures does not take a run's cores. Every refusal says
/// what to do; none waits for ever.
/// </summary>
public sealed class ClassifyBudget(ClassifyOptions options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _busy = [];
    private readonly Dictionary<string, (double Tokens, long Stamp)> _buckets = [];
    private readonly SemaphoreSlim _running = new(options.MaxConcurrent);
    private long _memory;

    public long MemoryLimit => options.MemoryBytes;
    private TimeSpan TurnWait => TimeSpan.FromSeconds(options.WaitSeconds);

    /// <summary>Starts one classification for <paramref name="ownerId"/>, or says why not (one at a time, then the rate).</summary>
    public (Ticket? Ticket, string? Problem) Begin(string ownerId)
    {
        lock (_lock)
        {
            if (_busy.Contains(ownerId))
                return (null, "You are already classifying a picture (perhaps in another tab). Wait for its answer, then send the next one.");
            var now = time.GetTimestamp();
            var (tokens, stamp) = _buckets.TryGetValue(ownerId, out var bucket) ? bucket : (options.Burst, now);
            tokens = Math.Min(options.Burst, tokens + time.GetElapsedTime(stamp, now).TotalMinutes * options.PerMinute);
            if (tokens < 1)
            {
                var wait = Math.Ceiling((1 - tokens) / options.PerMinute * 60);
                _buckets[ownerId] = (tokens, now);
                return (null, $"You have classified many pictures in a short time: {options.PerMinute} a minute can be classified. Try again in {wait:0} seconds.");
            }
            _buckets[ownerId] = (tokens - 1, now);
            _busy.Add(ownerId);
            return (new Ticket(this, ownerId), null);
        }
    }

    /// <summary>One classification under way: the memory it holds, its turn to run, and the person's slot, all given back on dispose.</summary>
    public sealed class Ticket(ClassifyBudget budget, string ownerId) : IDisposable
    {
        private long _held;
        private bool _running;

        /// <summary>Counts <paramref name="bytes"/> more against the server's bound, or says why not.</summary>
        public string? Hold(long bytes, string what)
        {
            lock (budget._lock)
            {
                if (_held + bytes > budget.MemoryLimit)
                    return $"{what} needs about {Sizes.Megabytes(_held + bytes)} of memory to classify, more than the {Sizes.Megabytes(budget.MemoryLimit)} " +
                        "this server sets aside for classifying (Classify:MemoryBytes). Send a smaller picture.";
                if (budget._memory + bytes > budget.MemoryLimit)
                    return "The server is classifying other large pictures just now and has no memory to spare for this one. " +
                        "Try again in a minute, or send a smaller picture.";
                budget._memory += bytes;
                _held += bytes;
                return null;
            }
        }

        /// <summary>Waits for a turn to run (a few at once on the whole server), or says the server is busy.</summary>
        public async Task<string?> WaitForTurnAsync(CancellationToken cancellationToken)
        {
            if (!await budget._running.WaitAsync(budget.TurnWait, cancellationToken))
                return "The server is busy classifying other people's pictures. Try again in a minute.";
            _running = true;
            return null;
        }

        public void Dispose()
        {
            if (_running) budget._running.Release();
            lock (budget._lock)
            {
                budget._memory -= _held;
                budget._busy.Remove(ownerId);
            }
        }
    }
}
