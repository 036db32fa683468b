using System.Threading.Channels;
using LearnDL.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Identity.Lti;

/// <summary>A student's score in a lesson as it stands (null: no such lesson).</summary>
public interface ILessonScores
{
    Task<LessonScore?> ForAsync(string studentId, string lessonSlug);

    /// <summary>The lesson's title (a gradebook column's label), or null when there is no such lesson.</summary>
    string? TitleOf(string lessonSlug);
}

/// <summary>
/// The lesson links students launched, and the scores each should carry to the LMS. A launch of a lesson link with the
/// grade service registers the link; an answer only drops a note here (the student's page never waits on it), and a
/// background reader turns notes into scores and hands changed ones to the <see cref="ScorePoster"/>.
/// </summary>
public sealed class GradeLinks(IDbContextFactory<LearnDbContext> factory, ILessonScores scores, TimeProvider time, ILogger<GradeLinks> logger)
    : BackgroundService
{
    private readonly Channel<(string StudentId, string Lesson)> _changes =
        Channel.CreateBounded<(string, string)>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>Set by the poster: called with a link whose score changed.</summary>
    internal Func<long, Task>? Post { get; set; }

    /// <summary>The student answered in the lesson: their score there may have changed. Returns at once.</summary>
    public void Changed(string studentId, string lessonSlug) => _changes.Writer.TryWrite((studentId, lessonSlug));

    /// <summary>
    /// A launch: a lesson link with the grade service becomes (or stays) the place this student's score in that lesson
    /// goes. The score as it stands is sent at once (a student who answered before the link existed keeps their work).
    /// </summary>
    public async Task LaunchedAsync(LtiServiceClaims launch, string studentId)
    {
        if (launch.Lesson is not { } lesson || launch.Preset is not null || launch.ResourceLinkId is not { } linkId || !launch.CanPostScores) return;
        await using (var db = await factory.CreateDbContextAsync())
        {
            var row = await db.GradeLinks.FirstOrDefaultAsync(l => l.Issuer == launch.Issuer && l.ResourceLinkId == linkId && l.UserId == launch.UserId);
            if (row is null) db.GradeLinks.Add(row = new GradeLinkRecord { Issuer = launch.Issuer, ResourceLinkId = linkId, UserId = launch.UserId });
            (row.StudentId, row.ClientId, row.DeploymentId, row.Lesson) = (studentId, launch.ClientId, launch.DeploymentId, lesson);
            (row.LineItemsUrl, row.LineItemUrl, row.Scopes, row.LaunchedAt) =
                (launch.LineItemsUrl, launch.LineItemUrl ?? row.LineItemUrl, string.Join(' ', launch.AgsScopes), time.GetUtcNow());
            try { await db.SaveChangesAsync(); }
            catch (DbUpdateException) { return; } // the same link launched twice at once: the other launch registered it
        }
        Changed(studentId, lesson);
    }

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
        List<long> changed = [];
        await using (var db = await factory.CreateDbContextAsync())
        {
            var links = await db.GradeLinks.Where(l => l.StudentId == studentId && l.Lesson == lesson).ToListAsync();
            if (links.Count == 0 || await scores.ForAsync(studentId, lesson) is not { Maximum: > 0 } score) return;
            var now = time.GetUtcNow();
            foreach (var link in links.Where(l => l.ScoreGiven != score.Given || l.ScoreMaximum != score.Maximum || l.Completed != score.Completed))
            {
                (link.ScoreGiven, link.ScoreMaximum, link.Completed) = (score.Given, score.Maximum, score.Completed);
                // Timestamps must rise: the LMS ignores a score older than one it holds.
                link.ScoreAt = link.ScoreAt is { } before && before >= now ? before.AddMilliseconds(1) : now;
                (link.Attempts, link.NextAttemptAt) = (0, now);
                changed.Add(link.Id);
            }
            await db.SaveChangesAsync();
        }
        if (Post is { } post)
            foreach (var id in changed) await post(id);
    }
}
