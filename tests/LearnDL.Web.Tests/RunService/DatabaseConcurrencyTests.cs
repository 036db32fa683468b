using LearnDL.Web.Data;
using LearnDL.Web.RunService;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Web.Tests.RunService;

/// <summary>The database under a class: one person's reading does not hold up another's writing.</summary>
public sealed class DatabaseConcurrencyTests
{
    [Fact]
    public async Task AnAnswerIsStored_WhileAnotherConnectionIsInTheMiddleOfReading()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "learndl.db");
        await using var services = new ServiceCollection()
            .AddDbContextFactory<LearnDbContext>(o => o.UseLearnDatabase(path)).BuildServiceProvider();
        var factory = services.GetRequiredService<IDbContextFactory<LearnDbContext>>();
        await new RunStore(factory).MigrateAsync();

        // A page's read, its transaction still open (as a long query would be).
        await using var reader = new SqliteConnection($"Data Source={path}");
        await reader.OpenAsync();
        using var reading = reader.BeginTransaction(deferred: true); // a reader's transaction: BEGIN, not BEGIN IMMEDIATE
        await using (var count = reader.CreateCommand())
        {
            count.CommandText = "SELECT COUNT(*) FROM LearningEvents";
            Assert.Equal(0L, await count.ExecuteScalarAsync());
        }

        // A student's answer meanwhile: with SQLite's default journal it would wait for the reader (the provider sleeps
        // and retries for 30 s, then fails); with write-ahead logging it is stored at once.
        var write = Task.Run(async () =>
        {
            await using var db = await factory.CreateDbContextAsync();
            db.LearningEvents.Add(new LearningEventRecord { StudentId = "s1", Kind = LearningEventKind.Opened, Lesson = "cpu-and-gpu", At = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        });
        Assert.Same(write, await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(10))));
        await write;
        reading.Commit();
    }

    [Fact]
    public async Task AWriterFindingTheLockTaken_WaitsForItInsideSQLite_NotInTheProvidersSleeps()
    {
        using var temp = new TempFolder();
        await using var services = new ServiceCollection()
            .AddDbContextFactory<LearnDbContext>(o => o.UseLearnDatabase(Path.Combine(temp.Path, "learndl.db"))).BuildServiceProvider();
        await using var db = await services.GetRequiredService<IDbContextFactory<LearnDbContext>>().CreateDbContextAsync();
        // Without it SQLite answers "busy" at once and the provider sleeps its thread 150 ms before each retry: under a class
        // answering together, answers took multiples of 150 ms and the sleeping threads starved the circuits' thread pool.
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        await using var ask = connection.CreateCommand();
        ask.CommandText = "PRAGMA busy_timeout";
        Assert.Equal((long)SqliteBusyWait.Milliseconds, await ask.ExecuteScalarAsync());
    }
}
