using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace LearnDL.Web.Data;

public static class LearnDatabase
{
    /// <summary>The app's database: the SQLite file <paramref name="file"/>, its writers waiting for the lock inside SQLite.</summary>
    public static DbContextOptionsBuilder UseLearnDatabase(this DbContextOptionsBuilder options, string file) =>
        options.UseSqlite($"Data Source={file}").AddInterceptors(new SqliteBusyWait());
}

/// <summary>
/// SQLite takes one writer at a time. Told how long to wait (busy_timeout), a writer that finds the lock
/// taken retries inside SQLite every few milliseconds; untold, SQLite answers "busy" at once and the
/// provider retries by sleeping its thread 150 ms at a time. With a class answering together, answers
/// then took multiples of 150 ms, and the sleeping threads starved the thread pool every circuit needs.
/// </summary>
internal sealed class SqliteBusyWait : DbConnectionInterceptor
{
    /// <summary>As long as the provider's own command timeout, after which a write gives up.</summary>
    public const int Milliseconds = 30_000;

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Set(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Set(connection);
        return Task.CompletedTask;
    }

    private static void Set(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout = {Milliseconds};";
        command.ExecuteNonQuery();
    }
}
