using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Data;

/// <summary>
/// The instructor's switches as stored: loaded once at start-up, written on every change. <see cref="Current"/>
/// is what was last loaded or saved, so pages read it without a database query.
/// </summary>
public sealed class ClassStateStore(IDbContextFactory<LearnDbContext> factory)
{
    // One writer at a time: the first two changes of a class must not both insert the row.
    private readonly SemaphoreSlim _write = new(1, 1);
    private volatile ClassStateRecord _current = new();

    /// <summary>Never changed once published: each save publishes a new record.</summary>
    public ClassStateRecord Current => _current;

    public async Task<ClassStateRecord> LoadAsync()
    {
        await using var db = await factory.CreateDbContextAsync();
        return _current = await db.ClassState.AsNoTracking().FirstOrDefaultAsync(s => s.Id == ClassStateRecord.TheRow) ?? new();
    }

    public async Task SaveAsync(Action<ClassStateRecord> change)
    {
        await _write.WaitAsync();
        try
        {
            await using var db = await factory.CreateDbContextAsync();
            var row = await db.ClassState.FirstOrDefaultAsync(s => s.Id == ClassStateRecord.TheRow);
            if (row is null) db.ClassState.Add(row = new());
            change(row);
            await db.SaveChangesAsync();
            _current = row;
        }
        finally { _write.Release(); }
    }
}
