using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// A lesson link a student launched from the LMS, whose gradebook column gets their score: where to post (the line item,
/// or the context's line items to find it in) and as whom (the LMS's user id); and the score to post with how sending
/// it goes. One row per student and link: a newer score replaces one not yet sent, so the LMS gets the latest, once.
/// </summary>
public sealed class GradeLinkRecord
{
    public long Id { get; set; }
    public string StudentId { get; set; } = "";
    public string Issuer { get; set; } = "";
    public string ClientId { get; set; } = "";
    public string DeploymentId { get; set; } = "";
    /// <summary>The LMS's id of the student (the launch's <c>sub</c>): the score's <c>userId</c>.</summary>
    public string UserId { get; set; } = "";
    public string ResourceLinkId { get; set; } = "";
    public string Lesson { get; set; } = "";
    public string? LineItemsUrl { get; set; }
    /// <summary>From the launch, or found (or made) once among the line items and kept.</summary>
    public string? LineItemUrl { get; set; }
    /// <summary>The AGS scopes the launch offered, space-separated.</summary>
    public string Scopes { get; set; } = "";
    public DateTimeOffset LaunchedAt { get; set; }

    /// <summary>The score to post (null before the first answer) and when it changed: the score's timestamp.</summary>
    public int? ScoreGiven { get; set; }
    public int ScoreMaximum { get; set; }
    public bool Completed { get; set; }
    public DateTimeOffset? ScoreAt { get; set; }

    /// <summary>The score's change the LMS last accepted (its <see cref="ScoreAt"/>); equal to it when nothing waits.</summary>
    public DateTimeOffset? SentScoreAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    /// <summary>Failed tries since the last success; the next try is not before <see cref="NextAttemptAt"/>.</summary>
    public int Attempts { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    /// <summary>Why the last try failed, in words for the instructor; null once a score got through.</summary>
    public string? LastError { get; set; }

    public bool Pending => ScoreAt is not null && ScoreAt != SentScoreAt;
}

/// <summary>A gradebook column LearnDL found or made for a link (never two for one link: PrairieLearn issue 15643).</summary>
public sealed class LineItemRecord
{
    public string Issuer { get; set; } = "";
    public string ResourceLinkId { get; set; } = "";
    public string ResourceId { get; set; } = "";
    public string LineItemUrl { get; set; } = "";
}

/// <summary>A course whose members the LMS lists (NRPS): its memberships address, as the latest launch from it gave it.</summary>
public sealed class RosterSourceRecord
{
    public string Issuer { get; set; } = "";
    public string ContextId { get; set; } = "";
    public string ClientId { get; set; } = "";
    public string MembershipsUrl { get; set; } = "";
    public string? ContextTitle { get; set; }
    public DateTimeOffset SeenAt { get; set; }
}

/// <summary>Someone who launched LearnDL from the LMS (student or teacher): the roster marks them as launched.</summary>
public sealed class RosterLaunchRecord
{
    public string Issuer { get; set; } = "";
    public string UserId { get; set; } = "";
    /// <summary>The student they are in LearnDL; null for a teacher.</summary>
    public string? StudentId { get; set; }
    public DateTimeOffset LastLaunchAt { get; set; }
}

/// <summary>The tables of the LTI services, configured in one place (called from the DbContext).</summary>
public static class GradeTables
{
    public static void Configure(ModelBuilder model)
    {
        static void Ticks<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<T> e, System.Linq.Expressions.Expression<Func<T, DateTimeOffset>> p) where T : class =>
            e.Property(p).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
        static void NullableTicks<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<T> e, System.Linq.Expressions.Expression<Func<T, DateTimeOffset?>> p) where T : class =>
            e.Property(p).HasConversion(v => v == null ? (long?)null : v.Value.UtcTicks, v => v == null ? null : new DateTimeOffset(v.Value, TimeSpan.Zero));

        var link = model.Entity<GradeLinkRecord>();
        link.ToTable("LtiGradeLinks");
        link.HasIndex(l => new { l.Issuer, l.ResourceLinkId, l.UserId }).IsUnique();
        link.HasIndex(l => new { l.StudentId, l.Lesson });
        link.Ignore(l => l.Pending);
        Ticks(link, l => l.LaunchedAt);
        NullableTicks(link, l => l.ScoreAt);
        NullableTicks(link, l => l.SentScoreAt);
        NullableTicks(link, l => l.SentAt);
        NullableTicks(link, l => l.NextAttemptAt);

        var item = model.Entity<LineItemRecord>();
        item.ToTable("LtiLineItems");
        item.HasKey(i => new { i.Issuer, i.ResourceLinkId, i.ResourceId });

        var source = model.Entity<RosterSourceRecord>();
        source.ToTable("LtiRosterSources");
        source.HasKey(s => new { s.Issuer, s.ContextId });
        Ticks(source, s => s.SeenAt);

        var launch = model.Entity<RosterLaunchRecord>();
        launch.ToTable("LtiRosterLaunches");
        launch.HasKey(l => new { l.Issuer, l.UserId });
        launch.HasIndex(l => l.StudentId);
        Ticks(launch, l => l.LastLaunchAt);
    }
}
