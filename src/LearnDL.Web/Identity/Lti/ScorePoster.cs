using System.Threading.Channels;
using Hangfire;
using LearnDL.Web.Data;
using LearnDL.Web.Live;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Identity.Lti;

/// <summary>A score that has not reached the gradebook yet, for the instructor's dashboard.</summary>
public sealed record ScoreProblem(string StudentId, string Student, string Lesson, string Platform, string Error, int Attempts, DateTimeOffset? NextAttemptAt);

/// <summary>How posting scores goes: students' lesson links with a score, how many reached the gradebook, how many wait, and the ones failing.</summary>
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
    private readonly ILessons _lessons;
    private readonly LiveUpdates _updates;
    private readonly TimeProvider _time;
    private readonly ILogger<ScorePoster> _logger;
    private readonly IBackgroundJobClient? _jobs;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _posting = new(1, 1);

    public ScorePoster(IDbContextFactory<LearnDbContext> factory, GradeLinks links, PlatformTokens tokens, GradebookClient gradebook, FindPlatformAccess platforms,
        ILessons lessons, LiveUpdates updates, TimeProvider time, ILogger<ScorePoster> logger, IBackgroundJobClient? jobs = null)
    {
        (_factory, _tokens, _gradebook, _platforms, _lessons, _updates, _time, _logger, _jobs) = (factory, tokens, gradebook, platforms, lessons, updates, time, logger, jobs);
        links.Post = id => { Schedule(id); return Task.CompletedTask; };
    }

    /// <summary>Posting goes through Hangfire (worker machines are on) rather than this process's loop.</summary>
    public bool UsesJobs => _jobs is not null;

    private void Schedule(long postId)
    {
        if (_jobs is null) _wake.Writer.TryWrite(true);
        else _jobs.Enqueue<LearnDL.Workers.ScorePostJob>(j => j.PostAsync(postId));
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
        return (await db.ScorePosts.AsNoTracking().Where(p => p.NextAttemptAt != null)
                .Select(p => new { p.Id, p.ScoreAt, p.SentScoreAt, p.NextAttemptAt }).ToListAsync(cancellationToken))
            .Where(p => p.ScoreAt != p.SentScoreAt && p.NextAttemptAt <= now).OrderBy(p => p.NextAttemptAt).Select(p => p.Id).ToList();
    }

    private async Task<DateTimeOffset?> NextTryAsync(CancellationToken cancellationToken)
    {
        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        return (await db.ScorePosts.AsNoTracking().Where(p => p.NextAttemptAt != null)
                .Select(p => new { p.ScoreAt, p.SentScoreAt, p.NextAttemptAt }).ToListAsync(cancellationToken))
            .Where(p => p.ScoreAt != p.SentScoreAt).Min(p => p.NextAttemptAt);
    }

    /// <summary>Where a post goes and as whom: the launch's link (its line item), its course (the line items), the LMS's user id.</summary>
    private sealed record Target(LtiResourceLinkRecord Link, LtiContextRecord? Course, string UserId);

    /// <summary>
    /// Sends the post's score if one waits. False when it failed: the reason, the count and the next try are kept
    /// on the post (and the instructor's dashboard hears of it).
    /// </summary>
    public async Task<bool> TryPostAsync(long postId, CancellationToken cancellationToken = default)
    {
        await _posting.WaitAsync(cancellationToken); // one post at a time: a column is found or made once, and scores go in order
        try
        {
            ScorePostRecord? post;
            Target? target = null;
            await using (var db = await _factory.CreateDbContextAsync(cancellationToken))
            {
                post = await db.ScorePosts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == postId, cancellationToken);
                if (post is not { Pending: true } || post.ScoreMaximum <= 0) return true;
                var link = await db.LtiResourceLinks.AsNoTracking().FirstOrDefaultAsync(l => l.Id == post.ResourceLinkRecordId, cancellationToken);
                var launch = await db.LtiLaunches.AsNoTracking()
                    .FirstOrDefaultAsync(l => l.ResourceLinkRecordId == post.ResourceLinkRecordId && l.StudentId == post.StudentId, cancellationToken);
                if (link is not null && launch is not null)
                    target = new(link, link.ContextRecordId is { } c ? await db.LtiContexts.AsNoTracking().FirstOrDefaultAsync(x => x.Id == c, cancellationToken) : null, launch.Subject);
            }
            if (target is null) return true; // the launch is gone (the student removed): nothing to post
            var at = post.ScoreAt;
            try
            {
                await SendAsync(post, target, new LessonScore(post.ScoreGiven, post.ScoreMaximum, post.Completed), cancellationToken);
            }
            catch (Exception e) when (e is PlatformServiceException or UnauthorizedPlatformException or TaskCanceledException or System.Text.Json.JsonException
                                      && !cancellationToken.IsCancellationRequested)
            {
                var attempts = post.Attempts + 1;
                var next = _time.GetUtcNow().AddSeconds(BackoffSeconds[Math.Min(attempts, BackoffSeconds.Length) - 1]);
                var message = e is PlatformServiceException or UnauthorizedPlatformException ? e.Message : $"The LMS did not answer in time ({e.GetType().Name}); LearnDL tries again.";
                _logger.LogWarning("Score of {Student} in {Lesson} not posted (try {Attempts}): {Message}", post.StudentId, post.Lesson, attempts, message);
                await using var db = await _factory.CreateDbContextAsync(CancellationToken.None);
                // A newer score that came in meanwhile keeps its own, earlier, try.
                await db.ScorePosts.Where(p => p.Id == postId).ExecuteUpdateAsync(u => u
                    .SetProperty(p => p.Attempts, attempts).SetProperty(p => p.LastError, message)
                    .SetProperty(p => p.NextAttemptAt, p => p.ScoreAt == at ? next : p.NextAttemptAt), CancellationToken.None);
                _updates.ClassChanged();
                return false;
            }
            await using (var db = await _factory.CreateDbContextAsync(CancellationToken.None))
            {
                var now = _time.GetUtcNow();
                await db.ScorePosts.Where(p => p.Id == postId).ExecuteUpdateAsync(u => u
                    .SetProperty(p => p.SentScoreAt, at).SetProperty(p => p.SentAt, now).SetProperty(p => p.Attempts, 0)
                    .SetProperty(p => p.LastError, (string?)null)
                    .SetProperty(p => p.NextAttemptAt, p => p.ScoreAt == at ? null : p.NextAttemptAt), CancellationToken.None);
            }
            _updates.ClassChanged();
            return true;
        }
        finally { _posting.Release(); }
    }

    private async Task SendAsync(ScorePostRecord post, Target target, LessonScore score, CancellationToken cancellationToken)
    {
        var link = target.Link;
        var platform = _platforms(link.Issuer, target.Course?.ClientId)
            ?? throw new PlatformServiceException($"LearnDL has no registration for {link.Issuer} any more: add it back under LearnDL:Lti:Platforms.", worthRetrying: false);
        string[] scopes = link.LineItemUrl is null ? [Ags.ScoreScope, Ags.LineItemScope] : [Ags.ScoreScope];
        for (var attempt = 1; ; attempt++)
        {
            var token = await _tokens.GetAsync(platform, scopes, cancellationToken);
            try
            {
                var lineItem = link.LineItemUrl ?? await LineItemAsync(post, target, platform, token, cancellationToken);
                await _gradebook.PostScoreAsync(lineItem, target.UserId, score, post.ScoreAt, token, platform.Host, cancellationToken);
                return;
            }
            catch (UnauthorizedPlatformException) when (attempt == 1)
            {
                _tokens.Forget(platform, token); // revoked or expired early: one more try with a new token
            }
        }
    }

    /// <summary>The column of a link the LMS gave none: found or made once on the LMS, and kept for every student of the link.</summary>
    private async Task<string> LineItemAsync(ScorePostRecord post, Target target, PlatformAccess platform, string token, CancellationToken cancellationToken)
    {
        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        if (await db.LineItems.AsNoTracking().FirstOrDefaultAsync(i => i.ResourceLinkRecordId == target.Link.Id, cancellationToken) is { } known) return known.LineItemUrl;
        if (target.Course?.LineItemsUrl is not { } lineItems || target.Course.AgsScopes?.Contains(Ags.LineItemScope) != true)
            throw new PlatformServiceException($"{platform.Host} gave this link no gradebook column and does not let LearnDL make one: add a column for it in the LMS, or allow the tool to manage line items.", worthRetrying: false);
        var url = await _gradebook.FindOrCreateLineItemAsync(
            new LineItemQuery(lineItems, target.Link.ResourceLinkId, post.Lesson, _lessons.TitleOf(post.Lesson) ?? post.Lesson, post.ScoreMaximum),
            token, platform.Host, cancellationToken);
        db.LineItems.Add(new LineItemRecord { ResourceLinkRecordId = target.Link.Id, LineItemUrl = url });
        await db.SaveChangesAsync(CancellationToken.None);
        return url;
    }

    /// <summary>What the instructor's dashboard shows: how many scores went through, how many wait, and the failing ones with why.</summary>
    public async Task<GradebookView> ViewAsync()
    {
        await using var db = await _factory.CreateDbContextAsync();
        var posts = await db.ScorePosts.AsNoTracking().ToListAsync();
        if (posts.Count == 0) return GradebookView.Empty;
        var ids = posts.Select(p => p.StudentId).Distinct().ToList();
        var names = await db.Students.AsNoTracking().Where(s => ids.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => s.DisplayName);
        var links = posts.Select(p => p.ResourceLinkRecordId).Distinct().ToList();
        var issuers = await db.LtiResourceLinks.AsNoTracking().Where(l => links.Contains(l.Id)).ToDictionaryAsync(l => l.Id, l => l.Issuer);
        var failing = posts.Where(p => p.Pending && p.LastError is not null)
            .Select(p => new ScoreProblem(p.StudentId, names.GetValueOrDefault(p.StudentId, p.StudentId), _lessons.TitleOf(p.Lesson) ?? p.Lesson,
                issuers.TryGetValue(p.ResourceLinkRecordId, out var i) && Uri.TryCreate(i, UriKind.Absolute, out var u) ? u.Host : "the LMS",
                p.LastError!, p.Attempts, p.NextAttemptAt))
            .OrderBy(p => p.Student, StringComparer.OrdinalIgnoreCase).ToList();
        return new(posts.Count, posts.Count(p => p.SentAt is not null), posts.Count(p => p.Pending), failing);
    }
}
