using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LearnDL.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity;

/// <summary>The class's students: display names are trimmed, limited, unique within the class, and changeable.</summary>
public sealed partial class StudentRegistry(IDbContextFactory<LearnDbContext> factory, IOptions<LearnDLOptions> options, TimeProvider time)
{
    private int MaxLength => options.Value.Class.MaxNameLength;

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
        if (me is null)
        {
            me = new StudentRecord { Id = "student-" + Guid.NewGuid().ToString("N")[..16], CreatedAt = now };
            db.Students.Add(me);
        }
        (me.DisplayName, me.NormalizedName, me.LastSeenAt) = (name, normalized, now);
        try { await db.SaveChangesAsync(); }
        catch (DbUpdateException) { return (null, $"Someone in this class has just taken the name {name}. Choose another."); }
        return (new RunOwner(me.Id, me.DisplayName, OwnerRole.Student), null);
    }

    /// <summary>Display names by owner id, for dashboards and tables (the instructor and learners have fixed names).</summary>
    public async Task<IReadOnlyDictionary<string, string>> NamesAsync(IEnumerable<string> ownerIds)
    {
        var ids = ownerIds.Distinct().ToList();
        await using var db = await factory.CreateDbContextAsync();
        var names = await db.Students.Where(s => ids.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => s.DisplayName);
        foreach (var id in ids.Where(i => !names.ContainsKey(i)))
            names[id] = id == RunOwner.InstructorId ? "Instructor" : id.StartsWith("learner-", StringComparison.Ordinal) ? "you (personal mode)" : "(unknown)";
        return names;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"^[\p{L}\p{M}\p{N} .'_-]+$")]
    private static partial Regex Allowed();
}
