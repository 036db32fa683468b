using LearnDL.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace LearnDL.Web.Tests.Class;

/// <summary>A class's database from before the pulse takes its migration and keeps its students and progress.</summary>
public class ClassPulseMigrationTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Migrate_FromClassState_AddsThePulseAndKeepsEverything()
    {
        var options = new DbContextOptionsBuilder<LearnDbContext>().UseSqlite($"Data Source={Path.Combine(_temp.Path, "old.db")}").Options;
        await using (var db = new LearnDbContext(options))
        {
            await db.GetService<IMigrator>().MigrateAsync("20261201170436_ClassState");
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO Students (Id, DisplayName, NormalizedName, CreatedAt, LastSeenAt) VALUES ('student-1', 'Ada', 'ADA', '2026-12-01 10:00:00+00:00', '2026-12-01 10:00:00+00:00');" +
                "INSERT INTO Progress (OwnerId, Key, Answer) VALUES ('student-1', 'answer:cpu-and-gpu/q1', 2);" +
                "INSERT INTO ClassState (Id, CpuPaused, GpuPaused) VALUES (1, 1, 0);");
        }
        await using (var db = new LearnDbContext(options))
        {
            Assert.Contains("20261201180853_ClassPulse", await db.Database.GetPendingMigrationsAsync());
            await db.Database.MigrateAsync();
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            Assert.Equal("Ada", (await db.Students.SingleAsync()).DisplayName);
            Assert.Equal(2, (await db.Progress.SingleAsync()).Answer);
            var state = await db.ClassState.SingleAsync();
            Assert.True(state.CpuPaused);
            Assert.Null(state.RecordsClearedAt);
            db.LearningEvents.Add(new LearningEventRecord { StudentId = "student-1", Kind = LearningEventKind.Answered, Lesson = "cpu-and-gpu", Question = "q1", Answer = 2, Correct = false, At = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
            Assert.Equal(LearningEventKind.Answered, (await db.LearningEvents.SingleAsync()).Kind);
        }
    }
}
