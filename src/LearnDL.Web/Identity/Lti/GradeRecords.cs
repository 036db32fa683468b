using LearnDL.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// The score a student's launch of a lesson link should carry to the LMS, and how sending it goes: one row per launch
/// (<see cref="LtiLaunchRecord"/>: a student and a link), so a newer score replaces one not yet sent and the LMS gets the
/// latest, once. Where to post and as whom is read from the launch's records when it is sent.
/// </summary>
public sealed class ScorePostRecord
{
    public long Id { get; set; }
    public long ResourceLinkRecordId { get; set; }
    public string StudentId { get; set; } = "";
    public string Lesson { get; set; } = "";

    /// <summary>The score to post and when it changed (the score's timestamp).</summary>
    public int ScoreGiven { get; set; }
    public int ScoreMaximum { get; set; }
    public bool Completed { get; set; }
    public DateTimeOffset ScoreAt { get; set; }

    /// <summary>The change the LMS last accepted (its <see cref="ScoreAt"/>); equal to it when nothing waits.</summary>
    public DateTimeOffset? SentScoreAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    /// <summary>Failed tries since the last success; the next try is not before <see cref="NextAttemptAt"/> (null: none due).</summary>
    public int Attempts { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    /// <summary>Why the last try failed, in words for the instructor; null once a score got through.</summary>
    public string? LastError { get; set; }

    public bool Pending => ScoreAt != SentScoreAt;
}

/// <summary>A gradebook column LearnDL found or made for a link that came without one (never two per link: PrairieLearn issue 15643).</summary>
public sealed class LineItemRecord
{
    public long ResourceLinkRecordId { get; set; }
    public string LineItemUrl { get; set; } = "";
}

/// <summary>The tables of the LTI grade service, configured in one place (called from the DbContext).</summary>
public static class GradeTables
{
    public static void Configure(ModelBuilder model)
    {
        var post = model.Entity<ScorePostRecord>();
        post.ToTable("LtiScorePosts");
        post.HasIndex(p => new { p.ResourceLinkRecordId, p.StudentId }).IsUnique();
        post.HasIndex(p => new { p.StudentId, p.Lesson });
        post.Property(p => p.StudentId).HasMaxLength(64);
        post.Property(p => p.Lesson).HasMaxLength(100);
        post.Property(p => p.LastError).HasMaxLength(1000);
        post.Ignore(p => p.Pending);
        // Gone with the launch it belongs to (a student removed, a link deleted).
        post.HasOne<LtiLaunchRecord>().WithMany().HasForeignKey(p => new { p.ResourceLinkRecordId, p.StudentId }).OnDelete(DeleteBehavior.Cascade);
        post.Property(p => p.ScoreAt).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
        foreach (var at in new[] { nameof(ScorePostRecord.SentScoreAt), nameof(ScorePostRecord.SentAt), nameof(ScorePostRecord.NextAttemptAt) })
            post.Property<DateTimeOffset?>(at).HasConversion<long?>(v => v == null ? null : v.Value.UtcTicks, v => v == null ? null : new DateTimeOffset(v.Value, TimeSpan.Zero));

        var item = model.Entity<LineItemRecord>();
        item.ToTable("LtiLineItems");
        item.HasKey(i => i.ResourceLinkRecordId);
        item.HasOne<LtiResourceLinkRecord>().WithMany().HasForeignKey(i => i.ResourceLinkRecordId).OnDelete(DeleteBehavior.Cascade);
    }
}
