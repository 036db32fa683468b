using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Data;

public sealed class LearnDbContext(DbContextOptions<LearnDbContext> options) : DbContext(options)
{
    public DbSet<RunRecord> Runs => Set<RunRecord>();
    public DbSet<RunMember> RunMembers => Set<RunMember>();

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
    }
}
