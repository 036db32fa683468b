namespace LearnDL.Workers;

/// <summary>
/// The jobs database's clock, as seen from this machine: machines' clocks need not agree (a worker two
/// minutes off is common in a lab), so whatever two machines compare is stamped on the database's clock.
/// The offset is measured at each heartbeat or register read, from the midpoint of a `SELECT now()`.
/// </summary>
public sealed class DatabaseClock
{
    private long _offsetTicks;

    /// <summary>The database's time minus this machine's.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Now, on the database's clock.</summary>
    public DateTimeOffset Now => DateTimeOffset.UtcNow + Offset;

    public async Task SyncAsync(JobsDatabase database, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("SELECT now()");
        var before = DateTimeOffset.UtcNow;
        var then = (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
        var after = DateTimeOffset.UtcNow;
        var local = before + (after - before) / 2;
        Interlocked.Exchange(ref _offsetTicks, (new DateTimeOffset(DateTime.SpecifyKind(then, DateTimeKind.Utc)) - local).Ticks);
    }
}
