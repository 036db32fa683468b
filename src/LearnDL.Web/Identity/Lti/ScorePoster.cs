using System.Threading.Channels;
using Hangfire;
using LearnDL.Web.Data;
using LearnDL.Web.RunService;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Identity.Lti;

/// <summary>A score that has not reached the gradebook yet, for the instructor's dashboard.</summary>
public sealed record ScoreProblem(string StudentId, string Student, string Lesson, string Platform, string Error, int Attempts, DateTimeOffset? NextAttemptAt);

/// <summary>How posting scores goes: links that launched with the grade service, scores sent, waiting, and the ones failing.</summary>
public sealed record GradebookView(int Links, int Sent, int Waiting, IReadOnlyList<ScoreProblem> Failing)
{
    public static readonly GradebookView Empty = new(0, 0, 0, []);
}

/// <summary>
/// Posts changed scores to the LMS (AGS), off every page: with worker machines as a Hangfire job in the web app's own
/// queue (<see cref="Queue"/>; Hangfire retries it with backoff), otherwise from this background loop, which retries
/// with the same backoff. Either way a failure is kept on the link, for the instructor's dashboard, until a try succeeds.
/// </summary>
public sealed class ScorePoster : BackgroundService, LearnDL.Workers.IScorePost
{
    /// <summary>The Hangfire queue of score posts: served by the web app itself, never by a run worker.</summary>
    public const string Queue = LearnDL.Workers.ScorePostJob.Queue;

    /// <summary>Waits between tries: 5 s, 30 s, 2 min, 10 min, 30 min, then hourly (Hangfire's retries wait the same).</summary>
    public static readonly int[] BackoffSeconds = [5, 30, 120, 600, 1800, 3600];

    private readonly IDbContextFactory<LearnDbContext> _factory;
    private readonly PlatformTokens _tokens;
    private readonly GradebookClient _gradebook;
    private readonly FindPlatformAccess _platforms;
    private readonly ILessonScores _lessons;
    private readonly LiveUpdates _updates;
    private readonly TimeProvider _time;
    private readonly ILogger<ScorePoster> _logger;
    private readonly IBackgroundJobClient? _jobs;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _posting = new(1, 1);

    public ScorePoster(IDbContextFactory<LearnDbContext> factory, GradeLinks links, PlatformTokens tokens, GradebookClient gradebook, FindPlatformAccess platforms,
        ILessonScores lessons, LiveUpdates updates, TimeProvider time, ILogger<ScorePoster> logger, IBackgroundJobClient? jobs = null)
    {
        (_factory, _tokens, _gradebook, _platforms, _lessons, _updates, _time, _logger, _jobs) = (factory, tokens, gradebook, platforms, lessons, updates, time, logger, jobs);
        links.Post = id => { Schedule(id); return Task.CompletedTask; };
    }

    /// <summary>Posting goes through Hangfire (worker machines are on) rather than this process's loop.</summary>
    public bool UsesJobs => _jobs is not null;

    private void Schedule(long linkId)
    {
        if (_jobs is null) _wake.Writer.TryWrite(true);
        else _jobs.Enqueue<LearnDL.Workers.ScorePostJob>(j => j.PostAsync(linkId));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_jobs is not null) return; // Hangfire keeps the posts, and their retries, across restarts
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var id in await DueAsync(stoppingToken)) await TryPostAsync(id, stoppingToken);
                var next = await NextTryAsync(stoppingToken);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var delay = next is { } at ? at - _time.GetUtcNow() : Timeout.InfiniteTimeSpan;
                if (delay == Timeout.InfiniteTimeSpan || delay > TimeSpan.Zero)
                {
                    var timer = Task.Delay(delay, _time, wait.Token);
                    await Task.WhenAny(timer, _wake.Reader.WaitToReadAsync(wait.Token).AsTask());
                    await wait.CancelAsync();
                }
                _wake.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                _logger.LogWarning(e, "Posting scores paused after a database error; trying again in a minute");
                try { await Task.Delay(TimeSpan.FromMinutes(1), _time, stoppingToken); } catch (OperationCanceledException) { return; }
            }
        }
    }

    private async Task<List<long>> DueAsync(CancellationToken cancellationToken)
    {
        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        var now = _time.GetUtcNow();
        return (await db.GradeLinks.AsNoTracking().Where(l => l.ScoreAt != null && l.NextAttemptAt != null)
                .Select(l => new { l.Id, l.ScoreAt, l.SentScoreAt, l.NextAttemptAt }).ToListAsync(cancellationToken))
            .Where(l => l.ScoreAt != l.SentScoreAt && l.NextAttemptAt <= now).OrderBy(l => l.NextAttemptAt).Select(l => l.Id).ToList();
    }

    private async Task<DateTimeOffset?> NextTryAsync(CancellationToken cancellationToken)
    {
        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        return (await db.GradeLinks.AsNoTracking().Where(l => l.ScoreAt != null && l.NextAttemptAt != null)
                .Select(l => new { l.ScoreAt, l.SentScoreAt, l.NextAttemptAt }).ToListAsync(cancellationToken))
            .Where(l => l.ScoreAt != l.SentScoreAt).Min(l => l.NextAttemptAt);
    }

    /// <summary>
    /// Sends the link's score if one waits. False when it failed: the reason, the count and the next try are kept
    /// on the link (and the instructor's dashboard hears of it).
    /// </summary>
    public async Task<bool> TryPostAsync(long linkId, CancellationToken cancellationToken = default)
    {
        await _posting.WaitAsync(cancellationToken); // one post at a time: a column is found or made once, and scores go in order
        try
        {
            GradeLinkRecord? link;
            await using (var db = await _factory.CreateDbContextAsync(cancellationToken))
                link = await db.GradeLinks.AsNoTracking().FirstOrDefaultAsync(l => l.Id == linkId, cancellationToken);
            if (link is not { Pending: true, ScoreGiven: { } given, ScoreAt: { } at } || link.ScoreMaximum <= 0) return true;
            try
            {
                await SendAsync(link, new LessonScore(given, link.ScoreMaximum, link.Completed), at, cancellationToken);
            }
            catch (Exception e) when (e is PlatformServiceException or UnauthorizedPlatformException or TaskCanceledException or System.Text.Json.JsonException
                                      && !cancellationToken.IsCancellationRequested)
            {
                var attempts = link.Attempts + 1;
                var next = _time.GetUtcNow().AddSeconds(BackoffSeconds[Math.Min(attempts, BackoffSeconds.Length) - 1]);
                var message = e is PlatformServiceException or UnauthorizedPlatformException ? e.Message : $"The LMS did not answer in time ({e.GetType().Name}); LearnDL tries again.";
                _logger.LogWarning("Score of {Student} in {Lesson} not posted (try {Attempts}): {Message}", link.StudentId, link.Lesson, attempts, message);
                await using var db = await _factory.CreateDbContextAsync(CancellationToken.None);
                await db.GradeLinks.Where(l => l.Id == linkId).ExecuteUpdateAsync(u => u
                    .SetProperty(l => l.Attempts, attempts).SetProperty(l => l.LastError, message)
                    .SetProperty(l => l.NextAttemptAt, l => l.ScoreAt == at ? next : l.NextAttemptAt), CancellationToken.None);
                _updates.ClassChanged();
                return false;
            }
            await using (var db = await _factory.CreateDbContextAsync(CancellationToken.None))
            {
                // A newer score that came in meanwhile stays waiting (its own try is already due).
                var now = _time.GetUtcNow();
                await db.GradeLinks.Where(l => l.Id == linkId).ExecuteUpdateAsync(u => u
                    .SetProperty(l => l.SentScoreAt, at).SetProperty(l => l.SentAt, now).SetProperty(l => l.Attempts, 0)
                    .SetProperty(l => l.LastError, (string?)null)
                    .SetProperty(l => l.NextAttemptAt, l => l.ScoreAt == at ? null : l.NextAttemptAt), CancellationToken.None);
            }
            _updates.ClassChanged();
            return true;
        }
        finally { _posting.Release(); }
    }

    private async Task SendAsync(GradeLinkRecord link, LessonScore score, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var platform = _platforms(link.Issuer, link.ClientId)
            ?? throw new PlatformServiceException($"LearnDL has no registration for {link.Issuer} (client {link.ClientId}) any more: add it back under LearnDL:Lti:Platforms.", worthRetrying: false);
        string[] scopes = link.LineItemUrl is null ? [Ags.ScoreScope, Ags.LineItemScope] : [Ags.ScoreScope];
        for (var attempt = 1; ; attempt++)
        {
            var token = await _tokens.GetAsync(platform, scopes, cancellationToken);
            try
            {
                var lineItem = link.LineItemUrl ?? await LineItemAsync(link, platform, token, cancellationToken);
                link.LineItemUrl = lineItem;
                await _gradebook.PostScoreAsync(lineItem, link.UserId, score, at, token, platform.Host, cancellationToken);
                return;
            }
            catch (UnauthorizedPlatformException) when (attempt == 1)
            {
                _tokens.Forget(platform, token); // revoked or expired early: one more try with a new token
            }
        }
    }

    /// <summary>The link's column: known from an earlier post (of any student), or found or made on the LMS and kept.</summary>
    private async Task<string> LineItemAsync(GradeLinkRecord link, PlatformAccess platform, string token, CancellationToken cancellationToken)
    {
        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        var known = await db.LineItems.AsNoTracking()
            .FirstOrDefaultAsync(i => i.Issuer == link.Issuer && i.ResourceLinkId == link.ResourceLinkId && i.ResourceId == link.Lesson, cancellationToken);
        var url = known?.LineItemUrl;
        if (url is null)
        {
            if (link.LineItemsUrl is null) throw new PlatformServiceException($"{platform.Host} gave no gradebook column for this link and no way to make one.", worthRetrying: false);
            url = await _gradebook.FindOrCreateLineItemAsync(
                new LineItemQuery(link.LineItemsUrl, link.ResourceLinkId, link.Lesson, _lessons.TitleOf(link.Lesson) ?? link.Lesson, link.ScoreMaximum),
                token, platform.Host, cancellationToken);
            db.LineItems.Add(new LineItemRecord { Issuer = link.Issuer, ResourceLinkId = link.ResourceLinkId, ResourceId = link.Lesson, LineItemUrl = url });
            await db.SaveChangesAsync(CancellationToken.None);
        }
        await db.GradeLinks.Where(l => l.Issuer == link.Issuer && l.ResourceLinkId == link.ResourceLinkId && l.LineItemUrl == null)
            .ExecuteUpdateAsync(u => u.SetProperty(l => l.LineItemUrl, url), CancellationToken.None);
        return url;
    }

    /// <summary>What the instructor's dashboard shows: how many scores went through, how many wait, and the failing ones with why.</summary>
    public async Task<GradebookView> ViewAsync()
    {
        await using var db = await _factory.CreateDbContextAsync();
        var links = await db.GradeLinks.AsNoTracking().ToListAsync();
        if (links.Count == 0) return GradebookView.Empty;
        var ids = links.Select(l => l.StudentId).Distinct().ToList();
        var names = await db.Students.AsNoTracking().Where(s => ids.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => s.DisplayName);
        var failing = links.Where(l => l.Pending && l.LastError is not null)
            .Select(l => new ScoreProblem(l.StudentId, names.GetValueOrDefault(l.StudentId, l.StudentId), _lessons.TitleOf(l.Lesson) ?? l.Lesson,
                Uri.TryCreate(l.Issuer, UriKind.Absolute, out var u) ? u.Host : l.Issuer, l.LastError!, l.Attempts, l.NextAttemptAt))
            .OrderBy(p => p.Student, StringComparer.OrdinalIgnoreCase).ToList();
        return new(links.Count, links.Count(l => l.SentAt is not null), links.Count(l => l.Pending), failing);
    }
}
