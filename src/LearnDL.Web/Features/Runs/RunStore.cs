using System.Text.Json;
using LearnDL.Training.Training;
using LearnDL.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Features.Runs;

/// <summary>The charts' recorded points of a finished run.</summary>
public sealed record RunSeries(IReadOnlyList<ChartPoint> Throughput, IReadOnlyList<ChartPoint> ImagesDone);

/// <summary>Runs in the database: history that survives restarts.</summary>
public sealed class RunStore(IDbContextFactory<LearnDbContext> factory)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Creates or migrates the database; runs cut off by a stop are marked interrupted.</summary>
    public async Task<int> InitializeAsync()
    {
        await using var db = await factory.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        return await db.Runs.Where(r => r.Status == RunStatus.Running || r.Status == RunStatus.Queued)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Interrupted)
                .SetProperty(r => r.Error, "The server stopped before this run finished. Start it again from the launcher."));
    }

    public async Task AddAsync(RunRecord record)
    {
        await using var db = await factory.CreateDbContextAsync();
        db.Runs.Add(record);
        await db.SaveChangesAsync();
    }

    public async Task<RunRecord?> GetAsync(Guid id)
    {
        await using var db = await factory.CreateDbContextAsync();
        return await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id);
    }

    public async Task<List<RunRecord>> GetManyAsync(IReadOnlyCollection<Guid> ids)
    {
        await using var db = await factory.CreateDbContextAsync();
        var found = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).ToListAsync();
        return ids.Select(id => found.FirstOrDefault(r => r.Id == id)).OfType<RunRecord>().ToList();
    }

    /// <summary>Newest first, optionally only one device ("cpu"/"gpu") or state.</summary>
    public async Task<List<RunRecord>> ListAsync(string? device = null, RunStatus? status = null, int take = 200)
    {
        await using var db = await factory.CreateDbContextAsync();
        var query = db.Runs.AsNoTracking();
        if (!string.IsNullOrEmpty(device)) query = query.Where(r => r.Device == device || (r.Device == null && r.DeviceRequested == device));
        if (status is { } s) query = query.Where(r => r.Status == s);
        return await query.OrderByDescending(r => r.CreatedAt).Take(take).ToListAsync();
    }

    public async Task UpdateAsync(Guid id, Action<RunRecord> change)
    {
        await using var db = await factory.CreateDbContextAsync();
        var record = await db.Runs.FirstOrDefaultAsync(r => r.Id == id);
        if (record is null) return;
        change(record);
        await db.SaveChangesAsync();
    }

    public Task CompleteAsync(Guid id, RunResult result, RunSeries series, DateTimeOffset at) => UpdateAsync(id, r =>
    {
        r.Status = RunStatus.Completed;
        r.FinishedAt = at;
        r.Device = result.Device;
        r.DeviceReason = result.DeviceReason;
        r.RuntimeBuild = result.RuntimeBuild;
        r.TotalSeconds = result.TotalSeconds;
        r.FeaturizeSeconds = result.FeaturizeWallSeconds;
        r.ImagesPerSecond = result.ImagesPerSecond;
        r.FeaturizeImagesPerSecond = result.FeaturizeImagesPerSecond;
        r.Accuracy = result.MicroAccuracy;
        r.ResultJson = JsonSerializer.Serialize(result, Json);
        r.ThumbnailsJson = JsonSerializer.Serialize(result.Examples.Select(e => e.ThumbnailPng is null ? null : Convert.ToBase64String(e.ThumbnailPng)), Json);
        r.SeriesJson = JsonSerializer.Serialize(series, Json);
    });

    public static RunResult? ResultOf(RunRecord record) =>
        record.ResultJson is null ? null : JsonSerializer.Deserialize<RunResult>(record.ResultJson, Json);

    public static IReadOnlyList<string?> ThumbnailsOf(RunRecord record) =>
        record.ThumbnailsJson is null ? [] : JsonSerializer.Deserialize<List<string?>>(record.ThumbnailsJson, Json) ?? [];

    public static RunSeries SeriesOf(RunRecord record) =>
        record.SeriesJson is null ? new([], []) : JsonSerializer.Deserialize<RunSeries>(record.SeriesJson, Json) ?? new([], []);
}
