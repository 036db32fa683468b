using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Features.Lessons;

/// <summary>A student's progress in the database, so it follows them from one computer to another.</summary>
public sealed class StudentProgressStore(IDbContextFactory<LearnDbContext> factory, string studentId) : IProgressStore
{
    private const string Read = "read:", Answer = "answer:";

    public async Task<ProgressState> LoadAsync()
    {
        await using var db = await factory.CreateDbContextAsync();
        var rows = await db.Progress.AsNoTracking().Where(p => p.OwnerId == studentId).ToListAsync();
        return new(
            rows.Where(r => r.Key.StartsWith(Read, StringComparison.Ordinal)).Select(r => r.Key[Read.Length..]).ToHashSet(),
            rows.Where(r => r.Key.StartsWith(Answer, StringComparison.Ordinal) && r.Answer is not null).ToDictionary(r => r.Key[Answer.Length..], r => r.Answer!.Value));
    }

    public async Task SaveAsync(ProgressState state)
    {
        await using var db = await factory.CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await db.Progress.Where(p => p.OwnerId == studentId).ExecuteDeleteAsync();
        db.Progress.AddRange(state.Read.Select(slug => new ProgressRecord { OwnerId = studentId, Key = Read + slug }));
        db.Progress.AddRange(state.Answers.Select(a => new ProgressRecord { OwnerId = studentId, Key = Answer + a.Key, Answer = a.Value }));
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
    }
}

/// <summary>
/// Keeps progress with the student in class mode, and in the reader's own browser otherwise. Asked each time: a
/// circuit's sign-in follows the register, and a student removed meanwhile writes nothing under their old id.
/// </summary>
public sealed class OwnerProgressStore(CurrentOwner owner, BrowserProgressStore browser, IDbContextFactory<LearnDbContext> factory) : IProgressStore
{
    public async Task<ProgressState> LoadAsync() => await (await StoreAsync()).LoadAsync();

    public async Task SaveAsync(ProgressState state) => await (await StoreAsync()).SaveAsync(state);

    private async Task<IProgressStore> StoreAsync() => await owner.FindAsync() is { Role: OwnerRole.Student } student
        ? new StudentProgressStore(factory, student.Id)
        : browser;
}
