using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Data;

/// <summary>
/// A student as an LMS knows them (LTI 1.3): one student per (issuer, sub), however often they launch or are renamed
/// there. Removing the student removes this; merging moves it to the student kept.
/// </summary>
public sealed class LtiUserRecord
{
    public string Issuer { get; set; } = "";
    /// <summary>The LMS's <c>sub</c>: its stable id of the person (NRPS <c>user_id</c>, AGS <c>userId</c>).</summary>
    public string Subject { get; set; } = "";
    public string StudentId { get; set; } = "";
    /// <summary>The name the LMS sent last (the student's display name may differ: two people of one name).</summary>
    public string? LmsName { get; set; }
    public string? Email { get; set; }
    public DateTimeOffset FirstLaunchAt { get; set; }
    public DateTimeOffset LastLaunchAt { get; set; }
}

/// <summary>
/// A course (LTI context) that launched LearnDL: (issuer, deployment, context id) maps to this server's class, with the
/// service endpoints its latest launch sent (NRPS roster, AGS line items) for the roster and grades.
/// </summary>
public sealed class LtiContextRecord
{
    public long Id { get; set; }
    public string Issuer { get; set; } = "";
    public string ClientId { get; set; } = "";
    public string DeploymentId { get; set; } = "";
    public string ContextId { get; set; } = "";
    public string? Title { get; set; }
    public string? Label { get; set; }
    /// <summary>The class this course is: the server hosts one, so always <see cref="ThisClass"/> for now.</summary>
    public string ClassId { get; set; } = ThisClass;
    /// <summary>NRPS <c>context_memberships_url</c> (null when the platform offers no roster).</summary>
    public string? MembershipsUrl { get; set; }
    /// <summary>AGS <c>lineitems</c>: the course's line items container.</summary>
    public string? LineItemsUrl { get; set; }
    /// <summary>AGS scopes the platform granted, space-separated.</summary>
    public string? AgsScopes { get; set; }
    public DateTimeOffset FirstLaunchAt { get; set; }
    public DateTimeOffset LastLaunchAt { get; set; }

    public const string ThisClass = "class";
}

/// <summary>
/// A link in an LMS course that launches LearnDL (LTI resource link), and what it opens: a lesson or a Try-it preset
/// (from its custom parameters, set by deep linking), with its AGS line item when the platform made one.
/// </summary>
public sealed class LtiResourceLinkRecord
{
    public long Id { get; set; }
    public string Issuer { get; set; } = "";
    public string DeploymentId { get; set; } = "";
    public string ResourceLinkId { get; set; } = "";
    /// <summary>The course it is in (null for a launch without a context).</summary>
    public long? ContextRecordId { get; set; }
    public string? Title { get; set; }
    /// <summary>The lesson's slug it opens, or null.</summary>
    public string? Lesson { get; set; }
    /// <summary>The Try-it preset it opens, or null.</summary>
    public string? Preset { get; set; }
    /// <summary>AGS <c>lineitem</c>: where this link's scores go (null when the platform sent none).</summary>
    public string? LineItemUrl { get; set; }
    /// <summary>AGS scopes the platform granted with the latest launch of this link, space-separated.</summary>
    public string? AgsScopes { get; set; }
    public DateTimeOffset FirstLaunchAt { get; set; }
    public DateTimeOffset LastLaunchAt { get; set; }
}

/// <summary>Who launched which link, and when last: grades go to each link a student launched, for its lesson.</summary>
public sealed class LtiLaunchRecord
{
    public long ResourceLinkRecordId { get; set; }
    public string StudentId { get; set; } = "";
    public string Issuer { get; set; } = "";
    /// <summary>The LMS <c>sub</c> the scores are posted for.</summary>
    public string Subject { get; set; } = "";
    public DateTimeOffset FirstLaunchAt { get; set; }
    public DateTimeOffset LastLaunchAt { get; set; }
}

public static class LtiModel
{
    /// <summary>The LTI tables (called from <see cref="LearnDbContext.OnModelCreating"/>).</summary>
    public static void Configure(ModelBuilder model)
    {
        static void Ticks<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<T> e, System.Linq.Expressions.Expression<Func<T, DateTimeOffset>> p) where T : class =>
            e.Property(p).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));

        var user = model.Entity<LtiUserRecord>();
        user.ToTable("LtiUsers");
        user.HasKey(u => new { u.Issuer, u.Subject });
        user.Property(u => u.Issuer).HasMaxLength(255);
        user.Property(u => u.Subject).HasMaxLength(255);
        user.Property(u => u.LmsName).HasMaxLength(200);
        user.Property(u => u.Email).HasMaxLength(255);
        user.HasIndex(u => u.StudentId);
        user.HasOne<StudentRecord>().WithMany().HasForeignKey(u => u.StudentId).OnDelete(DeleteBehavior.Cascade);
        Ticks(user, u => u.FirstLaunchAt);
        Ticks(user, u => u.LastLaunchAt);

        var context = model.Entity<LtiContextRecord>();
        context.ToTable("LtiContexts");
        context.HasIndex(c => new { c.Issuer, c.DeploymentId, c.ContextId }).IsUnique();
        context.Property(c => c.Issuer).HasMaxLength(255);
        context.Property(c => c.ClientId).HasMaxLength(255);
        context.Property(c => c.DeploymentId).HasMaxLength(255);
        context.Property(c => c.ContextId).HasMaxLength(255);
        context.Property(c => c.ClassId).HasMaxLength(64);
        Ticks(context, c => c.FirstLaunchAt);
        Ticks(context, c => c.LastLaunchAt);

        var link = model.Entity<LtiResourceLinkRecord>();
        link.ToTable("LtiResourceLinks");
        link.HasIndex(l => new { l.Issuer, l.DeploymentId, l.ResourceLinkId }).IsUnique();
        link.HasIndex(l => l.Lesson);
        link.Property(l => l.Issuer).HasMaxLength(255);
        link.Property(l => l.DeploymentId).HasMaxLength(255);
        link.Property(l => l.ResourceLinkId).HasMaxLength(255);
        link.Property(l => l.Lesson).HasMaxLength(100);
        link.Property(l => l.Preset).HasMaxLength(100);
        link.HasOne<LtiContextRecord>().WithMany().HasForeignKey(l => l.ContextRecordId).OnDelete(DeleteBehavior.SetNull);
        Ticks(link, l => l.FirstLaunchAt);
        Ticks(link, l => l.LastLaunchAt);

        var launch = model.Entity<LtiLaunchRecord>();
        launch.ToTable("LtiLaunches");
        launch.HasKey(l => new { l.ResourceLinkRecordId, l.StudentId });
        launch.HasIndex(l => l.StudentId);
        launch.Property(l => l.Issuer).HasMaxLength(255);
        launch.Property(l => l.Subject).HasMaxLength(255);
        launch.HasOne<LtiResourceLinkRecord>().WithMany().HasForeignKey(l => l.ResourceLinkRecordId).OnDelete(DeleteBehavior.Cascade);
        launch.HasOne<StudentRecord>().WithMany().HasForeignKey(l => l.StudentId).OnDelete(DeleteBehavior.Cascade);
        Ticks(launch, l => l.FirstLaunchAt);
        Ticks(launch, l => l.LastLaunchAt);
    }
}
