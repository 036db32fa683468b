using System.Threading.Channels;
using LearnDL.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// Which lesson links carry a student's score, and the score each should carry. An answer only drops a note here (the
/// student's page never waits on it); a background reader turns notes into scores, and hands changed ones to the
/// <see cref="ScorePoster"/>. The links are the launches the LTI launch records: a student's launches of links that
/// open the lesson itself (not a Try-it) and came with the grade service's score scope.
/// </summary>
public sealed class GradeLinks(IDbContextFactory<LearnDbContext> factory, ILessons scores, TimeProvider time, ILogger<GradeLinks> logger)
    : BackgroundService
{
    private readonly Channel<(string StudentId, string Lesson)> _changes =
        Channel.CreateBounded<(string, string)>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>Set by the poster: called with a score post whose score changed.</summary>
    internal Func<long, Task>? Post { get; set; }

    /// <summary>The student answered in the lesson (or launched a link to it): their score there may have changed. Returns at once.</summary>
    public void Changed(string studentId, string lessonSlug) => _changes.Writer.TryWrite((studentId, lessonSlug));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (studentId, lesson) in _changes.Reader.ReadAllAsync(stoppingToken))
                try { await UpdateAsync(studentId, lesson); }
                catch (Exception e) when (e is DbUpdateException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
                {
                    logger.LogWarning(e, "The score of {Student} in {Lesson} could not be brought up to date", studentId, lesson);
                }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    /// <summary>Stores the score of each of the student's links to the lesson where it changed, and has it posted.</summary>
    internal async Task UpdateAsync(string studentId, string lesson)
    {
        List<ScorePostRecord> changed = [];
        await using (var db = await factory.CreateDbContextAsync())
        {
            var links = await db.LtiLaunches.Where(l => l.StudentId == studentId)
                .Join(db.LtiResourceLinks, l => l.ResourceLinkRecordId, r => r.Id, (l, r) => r)
                .Where(r => r.Lesson == lesson && r.Preset == null && r.AgsScopes != null && r.AgsScopes.Contains(Ags.ScoreScope))
                .Select(r => r.Id).ToListAsync();
            if (links.Count == 0 || await scores.ForAsync(studentId, lesson) is not { Maximum: > 0 } score) return;
            var rows = await db.ScorePosts.Where(p => p.StudentId == studentId && links.Contains(p.ResourceLinkRecordId)).ToDictionaryAsync(p => p.ResourceLinkRecordId);
            var now = time.GetUtcNow();
            foreach (var link in links)
            {
                if (!rows.TryGetValue(link, out var row)) db.ScorePosts.Add(row = new ScorePostRecord { ResourceLinkRecordId = link, StudentId = studentId, Lesson = lesson });
                else if (row.ScoreGiven == score.Given && row.ScoreMaximum == score.Maximum && row.Completed == score.Completed) continue;
                // Timestamps must rise: the LMS ignores a score older than one it holds.
                var at = row.ScoreAt >= now ? row.ScoreAt.AddMilliseconds(1) : now;
                (row.ScoreGiven, row.ScoreMaximum, row.Completed, row.ScoreAt, row.Attempts, row.NextAttemptAt) = (score.Given, score.Maximum, score.Completed, at, 0, now);
                changed.Add(row);
            }
            await db.SaveChangesAsync();
        }
        if (Post is { } post)
            foreach (var row in changed) await post(row.Id);
    }
}
