using Hangfire;

namespace LearnDL.Workers;

/// <summary>Posts one lesson link's waiting score to the LMS (the web app's LTI grade service implements it); false when it failed.</summary>
public interface IScorePost
{
    Task<bool> TryPostAsync(long linkId, CancellationToken cancellationToken = default);
}

/// <summary>
/// The Hangfire job of one score post. It lives here, beside the run job, so that every machine sharing the jobs
/// database can load its type (a retry is rescheduled by whichever server's scheduler comes first); only the web app
/// serves its queue and performs it. It throws when the post failed, so that Hangfire tries again with backoff.
/// </summary>
public sealed class ScorePostJob(IScorePost post)
{
    /// <summary>The queue of score posts: served by the web app alone, never by a run worker.</summary>
    public const string Queue = "lti_scores";

    [Queue(Queue)]
    [AutomaticRetry(Attempts = 20, DelaysInSeconds = [5, 30, 120, 600, 1800, 3600], OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    public async Task PostAsync(long linkId)
    {
        if (!await post.TryPostAsync(linkId))
            throw new InvalidOperationException($"The score of grade link {linkId} was not posted; the instructor's dashboard says why. Hangfire tries again.");
    }
}
