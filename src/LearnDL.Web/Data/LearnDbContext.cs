using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Data;

public sealed class LearnDbContext(DbContextOptions<LearnDbContext> options) : DbContext(options)
{
    public DbSet<RunRecord> Runs => Set<RunRecord>();
    public DbSet<RunMember> RunMembers => Set<RunMember>();
    public DbSet<StudentRecord> Students => Set<StudentRecord>();
    public DbSet<UploadedDatasetRecord> UploadedDatasets => Set<UploadedDatasetRecord>();
    public DbSet<ProgressRecord> Progress => Set<ProgressRecord>();
    public DbSet<ClassStateRecord> ClassState => Set<ClassStateRecord>();
    public DbSet<LearningEventRecord> LearningEvents => Set<LearningEventRecord>();
    public DbSet<StudentGpuRecord> StudentGpus => Set<StudentGpuRecord>();
    // LTI 1.3 (Identity/Lti, Data/LtiRecords.cs)
    public DbSet<LtiUserRecord> LtiUsers => Set<LtiUserRecord>();
    public DbSet<LtiContextRecord> LtiContexts => Set<LtiContextRecord>();
    public DbSet<LtiResourceLinkRecord> LtiResourceLinks => Set<LtiResourceLinkRecord>();
    public DbSet<LtiLaunchRecord> LtiLaunches => Set<LtiLaunchRecord>();
    // LTI services (Identity/Lti/GradeRecords.cs): the scores to post, one per launch of a lesson link; the line items found or made.
    public DbSet<Identity.Lti.ScorePostRecord> ScorePosts => Set<Identity.Lti.ScorePostRecord>();
    public DbSet<Identity.Lti.LineItemRecord> LineItems => Set<Identity.Lti.LineItemRecord>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        var run = model.Entity<RunRecord>();
        run.Property(r => r.Status).HasConversion<string>();
        // SQLite cannot order by DateTimeOffset; store it as sortable ticks.
        run.Property(r => r.CreatedAt).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
        run.HasIndex(r => r.CreatedAt);
        run.HasIndex(r => r.Status);
        run.HasIndex(r => r.OwnerId);

        var member = model.Entity<RunMember>();
        member.HasKey(m => new { m.RunId, m.OwnerId });
        member.HasIndex(m => m.OwnerId);
        member.HasOne<RunRecord>().WithMany().HasForeignKey(m => m.RunId).OnDelete(DeleteBehavior.Cascade);

        var student = model.Entity<StudentRecord>();
        student.HasIndex(s => s.NormalizedName).IsUnique();
        student.Property(s => s.DisplayName).HasMaxLength(100);
        student.Property(s => s.JoinedFrom).HasMaxLength(64);

        var dataset = model.Entity<UploadedDatasetRecord>();
        dataset.HasIndex(d => d.NormalizedName).IsUnique();
        dataset.HasIndex(d => d.OwnerId);
        dataset.Property(d => d.CreatedAt).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));

        model.Entity<ProgressRecord>().HasKey(p => new { p.OwnerId, p.Key });

        var learning = model.Entity<LearningEventRecord>();
        learning.Property(e => e.Kind).HasConversion<string>().HasMaxLength(16);
        learning.Property(e => e.At).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
        learning.HasIndex(e => new { e.StudentId, e.At });

        var gpu = model.Entity<StudentGpuRecord>();
        gpu.HasKey(g => g.StudentId);
        gpu.Property(g => g.Card).HasMaxLength(100);
        gpu.Property(g => g.Device).HasMaxLength(8);
        gpu.Property(g => g.Measured).HasMaxLength(10);
        gpu.Property(g => g.SavedAt).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));

        LtiModel.Configure(model);
        Identity.Lti.GradeTables.Configure(model);

        // One row, always number 1: not generated.
        model.Entity<ClassStateRecord>().Property(c => c.Id).ValueGeneratedNever();
        model.Entity<ClassStateRecord>().Property(c => c.JoinCode).HasMaxLength(100);
        // Renamed in C# only: the columns keep their names, so no migration moves the data.
        model.Entity<ClassStateRecord>().Property(c => c.MaxConcurrentCpuRuns).HasColumnName("CpuWorkers");
        model.Entity<ClassStateRecord>().Property(c => c.MaxConcurrentGpuRuns).HasColumnName("GpuWorkers");
    }
}
