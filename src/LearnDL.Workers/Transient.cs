using Microsoft.Extensions.Logging;
using Npgsql;

namespace LearnDL.Workers;

/// <summary>What a machine does when the jobs database does not answer for a while (a restart, a cut link): it waits and tries again.</summary>
public static class Transient
{
    /// <summary>A failure that a later try may not meet: the database restarting or out of reach, not a mistake in a query.</summary>
    public static bool Is(Exception e) => e is NpgsqlException { IsTransient: true } or TimeoutException
        || e is NpgsqlException { InnerException: IOException or TimeoutException or System.Net.Sockets.SocketException }
        || e is Hangfire.BackgroundJobClientException { InnerException: { } inner } && Is(inner);

    /// <summary>Runs <paramref name="work"/> until it succeeds or <paramref name="stop"/> fires, waiting up to 2 s between tries and logging the first failure.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> work, ILogger logger, string what, CancellationToken stop = default)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        for (var tries = 1; ; tries++)
        {
            try
            {
                var result = await work();
                if (tries > 1) logger.LogInformation("The jobs database answers again: {What} done after {Tries} tries", what, tries);
                return result;
            }
            catch (Exception e) when (Is(e) && !stop.IsCancellationRequested)
            {
                if (tries == 1) logger.LogWarning("The jobs database did not answer ({Message}); {What} is tried again until it does", e.Message, what);
                await Task.Delay(delay, stop);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    public static Task RetryAsync(Func<Task> work, ILogger logger, string what, CancellationToken stop = default) =>
        RetryAsync(async () => { await work(); return true; }, logger, what, stop);
}
