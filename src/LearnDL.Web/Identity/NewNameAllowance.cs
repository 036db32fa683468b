using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity;

/// <summary>
/// How many new names one network may make. Only new names count: a student changing their name, or a
/// name refused (taken, not allowed), costs nothing.
/// <para>
/// Why a bucket and an hourly cap, not a fixed window: a classroom behind one router is one address, and a
/// fixed window that one student can empty locks the whole room out until it ends. With the defaults
/// (<see cref="ClassOptions.NewNamesPerAddressAtOnce"/> 30 at once, refilled at
/// <see cref="ClassOptions.NewNamesPerAddressPerMinute"/> 30 a minute, <see cref="ClassOptions.NewNamesPerAddressPerHour"/>
/// 200 an hour) a class of 100 joining in the same minute behind one router gets 30 names at once and the
/// rest within about two more minutes, each refused student told to wait a few seconds; a script gets 30
/// names in its first second (not the review's 56 in 1.5 s) and then one every two seconds, 200 an hour at
/// most, none of which buys it a place in the queue (runs are capped per address too, see the run queue).
/// </para>
/// </summary>
public sealed class NewNameAllowance(IOptions<LearnDLOptions> options, TimeProvider time)
{
    private sealed class Network
    {
        public double Tokens;
        public DateTimeOffset RefilledAt;
        public Queue<DateTimeOffset> LastHour = new();
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Network> _networks = [];
    private DateTimeOffset _sweptAt;

    /// <summary>Takes one new name for this network; false with how long to wait when it has made too many. An unknown network is not limited.</summary>
    public bool TryTake(string? network, out TimeSpan wait)
    {
        wait = TimeSpan.Zero;
        if (network is null) return true;
        var o = options.Value.Class;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            Sweep(now);
            if (!_networks.TryGetValue(network, out var n))
                _networks[network] = n = new Network { Tokens = o.NewNamesPerAddressAtOnce, RefilledAt = now };
            n.Tokens = Math.Min(o.NewNamesPerAddressAtOnce, n.Tokens + (now - n.RefilledAt).TotalMinutes * o.NewNamesPerAddressPerMinute);
            n.RefilledAt = now;
            while (n.LastHour.TryPeek(out var at) && now - at >= TimeSpan.FromHours(1)) n.LastHour.Dequeue();
            if (n.LastHour.Count >= o.NewNamesPerAddressPerHour)
            {
                wait = WholeSeconds(n.LastHour.Peek() + TimeSpan.FromHours(1) - now);
                return false;
            }
            if (n.Tokens < 1)
            {
                wait = WholeSeconds(TimeSpan.FromMinutes((1 - n.Tokens) / o.NewNamesPerAddressPerMinute));
                return false;
            }
            n.Tokens--;
            n.LastHour.Enqueue(now);
            return true;
        }
    }

    /// <summary>The name taken for could not be made after all (someone took it meanwhile): the network gets it back.</summary>
    public void GiveBack(string? network)
    {
        if (network is null) return;
        lock (_lock)
        {
            if (!_networks.TryGetValue(network, out var n)) return;
            n.Tokens = Math.Min(options.Value.Class.NewNamesPerAddressAtOnce, n.Tokens + 1);
            if (n.LastHour.Count > 0) n.LastHour = RemoveNewest(n.LastHour);
        }
    }

    /// <summary>Rounded up, at least a second: what the student is told to wait, and then enough.</summary>
    private static TimeSpan WholeSeconds(TimeSpan wait) => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(wait.TotalSeconds)));

    private static Queue<DateTimeOffset> RemoveNewest(Queue<DateTimeOffset> queue) => new(queue.Take(queue.Count - 1));

    /// <summary>Under the lock, at most once a minute: networks with nothing left to remember are forgotten, so many addresses cost no memory for long.</summary>
    private void Sweep(DateTimeOffset now)
    {
        if (now - _sweptAt < TimeSpan.FromMinutes(1)) return;
        _sweptAt = now;
        foreach (var (key, n) in _networks.ToList())
            if (n.LastHour.All(at => now - at >= TimeSpan.FromHours(1))) _networks.Remove(key);
    }
}
