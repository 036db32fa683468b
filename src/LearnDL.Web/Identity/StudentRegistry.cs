using LearnDL.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity;

/// <summary>
/// A student as the instructor's class list shows them. <paramref name="Burst"/>: how many names (this one
/// included) were made from its network within <see cref="StudentRegistry.BurstWindow"/> of it, when that many
/// look scripted (<see cref="StudentRegistry.BurstNames"/> or more); null otherwise. The network itself is never shown.
/// </summary>
public sealed record StudentRow(string Id, string Name, DateTimeOffset JoinedAt, DateTimeOffset LastSeenAt, int Runs, int? Burst = null);

/// <summary>
/// The class's students: display names are cleaned (<see cref="StudentNames"/>), unique within the class up to
/// case and look-alike letters, and changeable; the network each name was made from is kept, and new names
/// per network are limited (<see cref="NewNameAllowance"/>).
/// </summary>
public sealed class StudentRegistry(IDbContextFactory<LearnDbContext> factory, IOptions<LearnDLOptions> options, TimeProvider time,
    StudentNetworks networks, NewNameAllowance allowance)
{
    /// <summary>People type names: eight or more made from one network within two seconds of each other were made by a script.</summary>
    public const int BurstNames = 8;
    public static readonly TimeSpan BurstWindow = TimeSpan.FromSeconds(2);

    private int MaxLength => options.Value.Class.MaxNameLength;

    /// <summary>A student was renamed (their id, the new name) or left the register, removed or merged away (their id, null).</summary>
    public event Action<string, string?>? Changed;

    /// <summary>The name as it will be shown, or why it cannot be used (<paramref name="whenEmpty"/> when there is none).</summary>
    public (string? Name, string? Problem) Clean(string? raw, string whenEmpty = "Choose a name: it is how your runs appear to the class.") =>
        StudentNames.Clean(raw, MaxLength, whenEmpty);

    /// <summary>Upper case, for names that are not people's (uploaded datasets).</summary>
    public static string Normalize(string name) => name.ToUpperInvariant();

    /// <summary>
    /// At start-up: every stored name gets the current key (older versions compared upper case only), and the
    /// networks are loaded for the queue. Where two old names now share a key (Dana, and Dana with an invisible
    /// filler), the one who joined first keeps it and the other's key is made unique with its id: it stays in the
    /// class list, where the instructor tells them apart by join time and id, but nobody can take the name anew.
    /// </summary>
    public async Task StartAsync()
    {
        await using var db = await factory.CreateDbContextAsync();
        var students = await db.Students.OrderBy(s => s.Id).ToListAsync();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in students.OrderBy(s => s.CreatedAt.UtcTicks))
        {
            var key = StudentNames.Key(s.DisplayName);
            s.NormalizedName = taken.Add(key) ? key : $"{key}#{s.Id}";
            networks.Set(s.Id, s.JoinedFrom);
        }
        // Two passes: no moment where two rows share a key, whatever order SQLite writes them in.
        var wanted = students.ToDictionary(s => s.Id, s => s.NormalizedName);
        if (!db.ChangeTracker.HasChanges()) return;
        foreach (var s in students) s.NormalizedName = "#" + s.Id;
        await db.SaveChangesAsync();
        foreach (var s in students) s.NormalizedName = wanted[s.Id];
        await db.SaveChangesAsync();
    }

    /// <summary>
    /// Signs up a new student from <paramref name="network"/> (see <see cref="StudentNetworks.Of(System.Net.IPAddress)"/>),
    /// or renames one; null owner with the reason when the name cannot be used.
    /// </summary>
    public async Task<(RunOwner? Owner, string? Problem)> JoinAsync(string? rawName, string? studentId, string? network = null)
    {
        var (name, problem) = Clean(rawName);
        if (name is null) return (null, problem);
        var key = StudentNames.Key(name);
        await using var db = await factory.CreateDbContextAsync();
        var now = time.GetUtcNow();
        var me = studentId is null ? null : await db.Students.FirstOrDefaultAsync(s => s.Id == studentId);
        // The key's unique index guards against two at once; the other forms of look-alike are compared here.
        var others = await db.Students.Where(s => s.Id != (me == null ? "" : me.Id)).Select(s => s.DisplayName).ToListAsync();
        if (others.Any(other => StudentNames.LookAlike(other, name)))
            return (null, $"Someone in this class is already called {name}, or a name that looks the same. Add an initial or choose another name.");
        var isNew = me is null;
        if (isNew)
        {
            if (!allowance.TryTake(network, out var wait))
                return (null, $"Many names were just made from your network (a class joining at once?). Wait {Seconds(wait)} and press Join again.");
            me = new StudentRecord { Id = "student-" + Guid.NewGuid().ToString("N")[..16], CreatedAt = now, JoinedFrom = network };
            db.Students.Add(me);
        }
        (me!.DisplayName, me.NormalizedName, me.LastSeenAt) = (name, key, now);
        try { await db.SaveChangesAsync(); }
        catch (DbUpdateException)
        {
            if (isNew) allowance.GiveBack(network);
            return (null, $"Someone in this class has just taken the name {name}. Choose another.");
        }
        if (isNew) networks.Set(me.Id, network);
        else Changed?.Invoke(me.Id, me.DisplayName);
        return (new RunOwner(me.Id, me.DisplayName, OwnerRole.Student), null);
    }

    private static string Seconds(TimeSpan wait) => wait.TotalSeconds <= 1 ? "a second" :
        wait.TotalMinutes < 2 ? $"{Math.Ceiling(wait.TotalSeconds)} seconds" : $"{Math.Ceiling(wait.TotalMinutes)} minutes";

    /// <summary>A student as they are now (the instructor may have renamed them), or null when there is no such student.</summary>
    public async Task<RunOwner?> FindAsync(string studentId)
    {
        await using var db = await factory.CreateDbContextAsync();
        var name = await db.Students.Where(s => s.Id == studentId).Select(s => s.DisplayName).FirstOrDefaultAsync();
        return name is null ? null : new RunOwner(studentId, name, OwnerRole.Student);
    }

    /// <summary>The class list for the instructor, by name, with how many runs each has and which names came in a burst.</summary>
    public async Task<IReadOnlyList<StudentRow>> ListAsync()
    {
        await using var db = await factory.CreateDbContextAsync();
        var students = await db.Students.AsNoTracking().Select(s => new
        {
            s.Id, s.DisplayName, s.CreatedAt, s.LastSeenAt, s.JoinedFrom, Runs = db.RunMembers.Count(m => m.OwnerId == s.Id),
        }).ToListAsync();
        var bursts = Bursts(students.Where(s => s.JoinedFrom is not null).Select(s => (s.Id, s.JoinedFrom!, s.CreatedAt)));
        return students.Select(s => new StudentRow(s.Id, s.DisplayName, s.CreatedAt, s.LastSeenAt, s.Runs, bursts.GetValueOrDefault(s.Id)))
            .OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase).ThenBy(s => s.JoinedAt).ToList();
    }

    /// <summary>For each name made in a burst: how many names its network made within <see cref="BurstWindow"/> of it.</summary>
    internal static Dictionary<string, int?> Bursts(IEnumerable<(string Id, string Network, DateTimeOffset At)> names)
    {
        var bursts = new Dictionary<string, int?>();
        foreach (var network in names.GroupBy(n => n.Network))
        {
            var inOrder = network.OrderBy(n => n.At).ToList();
            for (int i = 0, first = 0, last = 0; i < inOrder.Count; i++)
            {
                while (inOrder[i].At - inOrder[first].At > BurstWindow) first++;
                while (last + 1 < inOrder.Count && inOrder[last + 1].At - inOrder[i].At <= BurstWindow) last++;
                if (last - first + 1 >= BurstNames) bursts[inOrder[i].Id] = last - first + 1;
            }
        }
        return bursts;
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
    /// stay in the class's history (under "(removed)"), their lesson progress, their measured GPU and the class pulse's records of them go.
    /// </summary>
    public async Task<bool> RemoveAsync(string studentId)
    {
        await using var db = await factory.CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await db.Progress.Where(p => p.OwnerId == studentId).ExecuteDeleteAsync();
        await db.LearningEvents.Where(e => e.StudentId == studentId).ExecuteDeleteAsync();
        await db.StudentGpus.Where(g => g.StudentId == studentId).ExecuteDeleteAsync();
        var removed = await db.Students.Where(s => s.Id == studentId).ExecuteDeleteAsync() > 0;
        await transaction.CommitAsync();
        networks.Forget(studentId);
        if (removed) Changed?.Invoke(studentId, null);
        return removed;
    }

    /// <summary>
    /// A student who lost their browser's cookie joined again under a new name: everything the old identity
    /// had (runs, shared runs, uploads, lesson progress, a measured GPU, the class pulse's records) moves to the new one, and the old
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
        // One card per student: the new identity's stays when both gave one.
        if (await db.StudentGpus.AnyAsync(g => g.StudentId == intoId)) await db.StudentGpus.Where(g => g.StudentId == fromId).ExecuteDeleteAsync();
        else await db.StudentGpus.Where(g => g.StudentId == fromId).ExecuteUpdateAsync(u => u.SetProperty(g => g.StudentId, intoId));
        // The LMS identities (LTI) and the links launched follow the student kept: the old row's removal would cascade to them.
        await db.LtiUsers.Where(u => u.StudentId == fromId).ExecuteUpdateAsync(u => u.SetProperty(x => x.StudentId, intoId));
        var intoLinks = db.LtiLaunches.Where(l => l.StudentId == intoId).Select(l => l.ResourceLinkRecordId);
        await db.LtiLaunches.Where(l => l.StudentId == fromId && intoLinks.Contains(l.ResourceLinkRecordId)).ExecuteDeleteAsync();
        await db.LtiLaunches.Where(l => l.StudentId == fromId).ExecuteUpdateAsync(u => u.SetProperty(l => l.StudentId, intoId));
        await db.Students.Where(s => s.Id == fromId).ExecuteDeleteAsync();
        await transaction.CommitAsync();
        networks.Forget(fromId);
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
}
