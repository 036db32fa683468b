using System.Security.Cryptography;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using Microsoft.AspNetCore.Components.Server.ProtectedBrowserStorage;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Features.MyGpu;

/// <summary>Where a learner's measured card is kept.</summary>
public interface IMyGpuStore
{
    Task<LearnerGpu?> LoadAsync();
    Task SaveAsync(LearnerGpu gpu);
    Task ClearAsync();
}

/// <summary>Personal mode: in the learner's own browser (localStorage, through Blazor's protected storage).</summary>
public sealed class BrowserGpuStore(ProtectedLocalStorage storage) : IMyGpuStore
{
    private const string Key = "learndl.my-gpu";

    public async Task<LearnerGpu?> LoadAsync()
    {
        try
        {
            var stored = await storage.GetAsync<string>(Key);
            return stored.Success ? LearnerGpu.FromJson(stored.Value) : null;
        }
        catch (CryptographicException) { return null; } // written under another server's keys
    }

    public Task SaveAsync(LearnerGpu gpu) => storage.SetAsync(Key, gpu.Json()).AsTask();
    public Task ClearAsync() => storage.DeleteAsync(Key).AsTask();
}

/// <summary>Class mode: with the student, in the database, so the instructor's table of the class's cards can read it.</summary>
public sealed class StudentGpuStore(IDbContextFactory<LearnDbContext> factory, string studentId) : IMyGpuStore
{
    public async Task<LearnerGpu?> LoadAsync()
    {
        await using var db = await factory.CreateDbContextAsync();
        return LearnerGpu.FromJson((await db.StudentGpus.AsNoTracking().FirstOrDefaultAsync(g => g.StudentId == studentId))?.Json);
    }

    public async Task SaveAsync(LearnerGpu gpu)
    {
        await using var db = await factory.CreateDbContextAsync();
        var row = await db.StudentGpus.FirstOrDefaultAsync(g => g.StudentId == studentId);
        if (row is null) db.StudentGpus.Add(row = new StudentGpuRecord { StudentId = studentId });
        row.Card = gpu.Name;
        row.Device = gpu.Device;
        row.ForwardImagesPerSecond = gpu.ForwardImagesPerSecond;
        row.TrainImagesPerSecond = gpu.TrainImagesPerSecond;
        row.AmpTrainImagesPerSecond = gpu.AmpTrainImagesPerSecond;
        row.Measured = gpu.Measured;
        row.Json = gpu.Json();
        row.SavedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync();
    }

    public async Task ClearAsync()
    {
        await using var db = await factory.CreateDbContextAsync();
        await db.StudentGpus.Where(g => g.StudentId == studentId).ExecuteDeleteAsync();
    }
}

/// <summary>The store for whoever this circuit belongs to: a student's in the database, anyone else's in their browser. Asked each time, as progress is.</summary>
public sealed class OwnerGpuStore(CurrentOwner owner, BrowserGpuStore browser, IDbContextFactory<LearnDbContext> factory) : IMyGpuStore
{
    public async Task<LearnerGpu?> LoadAsync() => await (await StoreAsync()).LoadAsync();
    public async Task SaveAsync(LearnerGpu gpu) => await (await StoreAsync()).SaveAsync(gpu);
    public async Task ClearAsync() => await (await StoreAsync()).ClearAsync();

    private async Task<IMyGpuStore> StoreAsync() => await owner.FindAsync() is { Role: OwnerRole.Student } student
        ? new StudentGpuStore(factory, student.Id)
        : browser;
}

/// <summary>
/// This circuit's learner's card: loaded once the page is interactive (the browser's storage needs it),
/// and told to the components that show it when it is given or removed.
/// </summary>
public sealed class MyGpuState(IMyGpuStore store)
{
    private LearnerGpu? _gpu;
    private bool _loaded;

    public event Action? Changed;

    public async Task<LearnerGpu?> GetAsync()
    {
        if (!_loaded) { _gpu = await store.LoadAsync(); _loaded = true; }
        return _gpu;
    }

    public async Task SetAsync(LearnerGpu gpu)
    {
        await store.SaveAsync(gpu);
        (_gpu, _loaded) = (gpu, true);
        Changed?.Invoke();
    }

    public async Task ClearAsync()
    {
        await store.ClearAsync();
        (_gpu, _loaded) = (null, true);
        Changed?.Invoke();
    }
}

/// <summary>One row of the instructor's table: a student's card and its figures.</summary>
public sealed record ClassGpu(string Student, string Card, string Device, double ForwardImagesPerSecond, double TrainImagesPerSecond, double? AmpTrainImagesPerSecond, string Measured);

/// <summary>The class's cards, for /instructor: the crowd-sourced GPU table of the class.</summary>
public sealed class ClassGpus(IDbContextFactory<LearnDbContext> factory)
{
    public async Task<IReadOnlyList<ClassGpu>> ListAsync()
    {
        await using var db = await factory.CreateDbContextAsync();
        var rows = await (from g in db.StudentGpus.AsNoTracking()
                          join s in db.Students.AsNoTracking() on g.StudentId equals s.Id
                          select new { s.DisplayName, g.Card, g.Device, g.ForwardImagesPerSecond, g.TrainImagesPerSecond, g.AmpTrainImagesPerSecond, g.Measured }).ToListAsync();
        return rows.Select(r => new ClassGpu(r.DisplayName, r.Card, r.Device, r.ForwardImagesPerSecond, r.TrainImagesPerSecond, r.AmpTrainImagesPerSecond, r.Measured))
            .OrderByDescending(r => r.Device == "cuda").ThenByDescending(r => r.TrainImagesPerSecond).ToList();
    }
}

/// <summary>GET /notebooks/learndl-measure-my-gpu.ipynb: the notebook, as a download.</summary>
public static class GpuNotebookEndpoint
{
    public const string Path = "/notebooks/" + GpuNotebook.FileName;

    public static IEndpointRouteBuilder MapGpuNotebook(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, () => Results.File(System.Text.Encoding.UTF8.GetBytes(GpuNotebook.Build()), "application/x-ipynb+json", GpuNotebook.FileName))
            .RequireAuthorization(Access.Joined);
        return app;
    }
}
