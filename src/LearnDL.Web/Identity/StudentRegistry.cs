using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LearnDL.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity;

/// <summary>A student as the instructor's class list shows them.</summary>
public sealed record StudentRow(string Id, string Name, DateTimeOffset JoinedAt, DateTimeOffset LastSeenAt, int Runs);

/// <summary>The class's students: display names are trimmed, limited, unique within the class, and changeable.</summary>
public sealed partial class StudentRegistry(IDbContextFactory<LearnDbContext> factory, IOptions<LearnDLOptions> options, TimeProvider time)
{
    private int MaxLength => options.Value.Class.MaxNameLength;

    /// <summary>A student was renamed (their id, the new name) or left the register, removed or merged away (their id, null).</summary>
    public event Action<string, string?>? Changed;

    /// <summary>The name as it will be shown, or why it cannot be used (<paramref name="whenEmpty"/> when there is none).</summary>
    public (string? Name, string? Problem) Clean(string? raw, string whenEmpty = "Choose a name: it is how your runs appear to the class.")
    {
        var name = Spaces().Replace((raw ?? "").Normalize(NormalizationForm.FormC), " ").Trim();
        if (name.Length == 0) return (null, whenEmpty);
        if (name.Length > MaxLength) return (null, $"Names are at most {MaxLength} characters (yours has {name.Length}).");
        // Letters, digits, spaces and a little punctuation: no markup, no control or direction-changing characters.
        if (!Allowed().IsMatch(name)) return (null, "Use letters, digits, spaces and . - _ ' only.");
        if (name.Equals("Instructor", StringComparison.OrdinalIgnoreCase)) return (null, "That name is kept for the instructor.");
        return (name, null);
    }

    public static string Normalize(string name) => name.ToUpperInvariant();

    /// <summary>Signs up a new student, or renames one; null owner with the reason when the name cannot be used.</summary>
    public async Task<(RunOwner? Owner, string? Problem)> JoinAsync(string? rawName, string? studentId)
    {
        var (name, problem) = Clean(rawName);
        if (name is null) return (null, problem);
        var normalized = Normalize(name);
        await using var db = await factory.CreateDbContextAsync();
        var now = time.GetUtcNow();
        var me = studentId is null ? null : await db.Students.FirstOrDefaultAsync(s => s.Id == studentId);
        if (await db.Students.AnyAsync(s => s.NormalizedName == normalized && s.Id != (me == null ? "" : me.Id)))
            return (null, $"Someone in this class is already called {name}. Add an initial or choose another name.");
        var renaming = me is not null;
        if (me is null)
        {
            me = new StudentRecord { Id = "student-" + Guid.NewGuid().ToString("N")[..16], CreatedAt = now };
            db.Students.Add(me);
        }
        (me.DisplayName, me.NormalizedName, me.LastSeenAt) = (name, normalized, now);
        try { await db.SaveChangesAsync(); }
        catch (DbUpdateException) { return (null, $"Someone in this class has just taken the name {name}. Choose another."); }
        if (renaming) Changed?.Invoke(me.Id, me.DisplayName);
        return (new RunOwner(me.Id, me.DisplayName, OwnerRole.Student), null);
    }

    /// <summary>A student as they are now (the instructor may have renamed them), or null when there is no such student.</summary>
    public async Task<RunOwner?> FindAsync(string studentId)
    {
        await using var db = await factory.CreateDbContextAsync();
        var name = await db.Students.Where(s => s.Id == studentId).Select(s => s.DisplayName).FirstOrDefaultAsync();
        return name is null ? null : new RunOwner(studentId, name, OwnerRole.Student);
    }

    /// <summary>The class list for the instructor, by name, with how many runs each has.</summary>
    public async Task<IReadOnlyList<StudentRow>> ListAsync()
    {
        await using var db = await factory.CreateDbContextAsync();
        var students = await db.Students.AsNoTracking().Select(s => new
        {
            s.Id, s.DisplayName, s.CreatedAt, s.LastSeenAt, Runs = db.RunMembers.Count(m => m.OwnerId == s.Id),
        }).ToListAsync();
        return students.Select(s => new StudentRow(s.Id, s.DisplayName, s.CreatedAt, s.LastSeenAt, s.Runs))
            .OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The instructor renames a student (the same rules as choosing a name); their cookie follows on their next request.</summary>
    public async Task<string?> RenameAsync(string studentId, string? rawName)
    {
        await using (var db = await factory.CreateDbContextAsync())
            if (!await db.Students.AnyAsync(s => s.Id == studentId)) return "There is no such student.";
        return (await JoinAsync(rawName, studentId)).Problem;
    }

    /// <summary>
    /// Takes a student out of the class: their name is free again and their browser must join anew. Their runs
    /// stay in the class's history (under "(removed)"), their lesson progress and the class pulse's records of them go.
    /// </summary>
    public async Task<bool> RemoveAsync(string studentId)
    {
        await using var db = await factory.CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await db.Progress.Where(p => p.OwnerId == studentId).ExecuteDeleteAsync();
        await db.LearningEvents.Where(e => e.StudentId == studentId).ExecuteDeleteAsync();
        var removed = await db.Students.Where(s => s.Id == studentId).ExecuteDeleteAsync() > 0;
        await transaction.CommitAsync();
        if (removed) Changed?.Invoke(studentId, null);
        return removed;
    }

    /// <summary>
    /// A student who lost their browser's cookie joined again under a new name: everything the old identity
    /// had (runs, shared runs, uploads, lesson progress, the class pulse's records) moves to the new one, and the old
    /// one is removed. Where both had the same thing (a run they were both on, an answer to the same question) the new
    /// one's stays; the pulse's records of both are kept, in the order they happened, so a first try stays the first.
    /// </summary>
    public async Task<string?> MergeAsync(string fromId, string intoId)
    {
        if (fromId == intoId) return "Choose two different students.";
        await using var db = await factory.CreateDbContextAsync();
        if (await db.Students.CountAsync(s => s.Id == fromId || s.Id == intoId) != 2) return "There is no such student.";
        await using var transaction = await db.Database.BeginTransactionAsync();
        var intoRuns = db.RunMembers.Where(m => m.OwnerId == intoId).Select(m => m.RunId);
        await db.RunMembers.Where(m => m.OwnerId == fromId && intoRuns.Contains(m.RunId)).ExecuteDeleteAsync();
        await db.RunMembers.Where(m => m.OwnerId == fromId).ExecuteUpdateAsync(u => u.SetProperty(m => m.OwnerId, intoId));
        await db.Runs.Where(r => r.OwnerId == fromId).ExecuteUpdateAsync(u => u.SetProperty(r => r.OwnerId, intoId));
        await db.UploadedDatasets.Where(d => d.OwnerId == fromId).ExecuteUpdateAsync(u => u.SetProperty(d => d.OwnerId, intoId));
        var intoKeys = db.Progress.Where(p => p.OwnerId == intoId).Select(p => p.Key);
        await db.Progress.Where(p => p.OwnerId == fromId && intoKeys.Contains(p.Key)).ExecuteDeleteAsync();
        await db.Progress.Where(p => p.OwnerId == fromId).ExecuteUpdateAsync(u => u.SetProperty(p => p.OwnerId, intoId));
        await db.LearningEvents.Where(e => e.StudentId == fromId).ExecuteUpdateAsync(u => u.SetProperty(e => e.StudentId, intoId));
        await db.Students.Where(s => s.Id == fromId).ExecuteDeleteAsync();
        await transaction.CommitAsync();
        Changed?.Invoke(fromId, null);
        return null;
    }

    /// <summary>Display names by owner id, for dashboards and tables (the instructor and learners have fixed names).</summary>
    public async Task<IReadOnlyDictionary<string, string>> NamesAsync(IEnumerable<string> ownerIds)
    {
        var ids = ownerIds.Distinct().ToList();
        await using var db = await factory.CreateDbContextAsync();
        var names = await db.Students.Where(s => ids.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => s.DisplayName);
        foreach (var id in ids.Where(i => !names.ContainsKey(i)))
            names[id] = id == RunOwner.InstructorId ? "Instructor" : id.StartsWith("learner-", StringComparison.Ordinal) ? "you (personal mode)" : "(removed)";
        return names;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"^[\p{L}\p{M}\p{N} .'_-]+$")]
    private static partial Regex Allowed();
}
