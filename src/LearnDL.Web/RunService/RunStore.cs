using System.Text.Json;
using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Training.Precision;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.RunService;

/// <summary>The charts' recorded points of a finished run.</summary>
public sealed record RunSeries(IReadOnlyList<ChartPoint> Throughput, IReadOnlyList<ChartPoint> ImagesDone);

/// <summary>A run as lists show it: no result, thumbnails or series, only the columns a row needs.</summary>
public sealed record RunSummary(
    Guid Id, string OwnerId, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, RunStatus Status,
    string Dataset, int Images, int Epochs, string DeviceRequested, string? Device, int Seed, string? Group, bool Shared, string? Error,
    double? TotalSeconds, double? FeaturizeSeconds, double? ImagesPerSecond, double? FeaturizeImagesPerSecond, double? Accuracy,
    IReadOnlyList<StageTiming> Stages, string? Worker = null, string Precision = "fp32")
{
    public string DeviceShown => Device ?? DeviceRequested;

    /// <summary>The device, and INT8 when the network ran at 8 bits ("CPU · INT8"): what a table's Device column shows.</summary>
    public string MachineShown => DeviceShown.ToUpperInvariant() + (Precision == "int8" ? " · INT8" : "");
}

/// <summary>Which runs a list wants. A null owner means every owner's runs.</summary>
public sealed record RunFilter(string? Device = null, RunStatus? Status = null, string? OwnerId = null)
{
    /// <summary>This filter over the runs <paramref name="owner"/> may list (the rule is <see cref="Access"/>'s).</summary>
    public RunFilter For(RunOwner owner, bool classMode) => this with { OwnerId = Access.ListsRunsOf(owner, classMode) };
}

/// <summary>One page of a list of runs, and how many there are in all.</summary>
public sealed record RunListPage(IReadOnlyList<RunSummary> Items, int Total);

/// <summary>A run that was waiting when the server stopped: its row, and the owner ids of everyone on it.</summary>
public sealed record WaitingRun(RunRecord Record, IReadOnlyList<string> Members);

/// <summary>Runs in the database: history that survives restarts.</summary>
public sealed class RunStore(IDbContextFactory<LearnDbContext> factory) : IRunMembership
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Creates or migrates the database; runs cut off mid-run by a stop are marked interrupted, except
    /// those that go on elsewhere (on worker machines) and will be followed again. Runs that were still
    /// waiting stay queued: the queue takes them back (<see cref="UnfinishedAsync"/>).
    /// </summary>
    public async Task<int> InitializeAsync(IReadOnlyCollection<Guid>? continuing = null)
    {
        await MigrateAsync();
        await using var db = await factory.CreateDbContextAsync();
        var goOn = continuing?.ToList() ?? [];
        return await db.Runs.Where(r => r.Status == RunStatus.Running && !goOn.Contains(r.Id))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Interrupted)
                .SetProperty(r => r.Error, "The server stopped before this run finished. Start it again from the launcher."));
    }

    public async Task MigrateAsync()
    {
        await using var db = await factory.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        // Write-ahead logging: a class's reads (pages, the pulse) no longer block its writes (answers, runs) nor the other
        // way round. In SQLite's default mode a write waits for every reader to finish, and the provider waits by
        // sleeping on the thread: under 300 students answering, answers took seconds. The mode is kept in the file.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
    }

    /// <summary>Runs left waiting (or running) in the database by the last stop, oldest first, each with who is on it: its starter, then the others as they joined.</summary>
    public async Task<IReadOnlyList<WaitingRun>> UnfinishedAsync(RunStatus status = RunStatus.Queued)
    {
        await using var db = await factory.CreateDbContextAsync();
        var runs = await db.Runs.AsNoTracking().Where(r => r.Status == status).OrderBy(r => r.CreatedAt).ToListAsync();
        var ids = runs.Select(r => r.Id).ToList();
        var members = await db.RunMembers.AsNoTracking().Where(m => ids.Contains(m.RunId)).ToListAsync();
        return runs.Select(r => new WaitingRun(r, members.Where(m => m.RunId == r.Id)
            .OrderBy(m => m.OwnerId != r.OwnerId).ThenBy(m => m.JoinedAt).Select(m => m.OwnerId).ToList())).ToList();
    }

    /// <summary>Stores a new run with its starter as its first member.</summary>
    public async Task AddAsync(RunRecord record)
    {
        await using var db = await factory.CreateDbContextAsync();
        db.Runs.Add(record);
        db.RunMembers.Add(new RunMember { RunId = record.Id, OwnerId = record.OwnerId, JoinedAt = record.CreatedAt });
        await db.SaveChangesAsync();
    }

    /// <summary>Puts an owner on a run; joining twice (a double press, two tabs) is the same as once.</summary>
    public async Task AddMemberAsync(Guid runId, string ownerId, DateTimeOffset at)
    {
        await using var db = await factory.CreateDbContextAsync();
        if (await db.RunMembers.AnyAsync(m => m.RunId == runId && m.OwnerId == ownerId)) return;
        db.RunMembers.Add(new RunMember { RunId = runId, OwnerId = ownerId, JoinedAt = at });
        try { await db.SaveChangesAsync(); }
        catch (DbUpdateException)
        {
            // The same owner's other join got there first: they are on the run, which is all that was asked.
            if (!await IsMemberAsync(runId, ownerId)) throw;
        }
    }

    /// <summary>The whole run, result and pictures included: for the run page alone.</summary>
    public async Task<RunRecord?> GetAsync(Guid id)
    {
        await using var db = await factory.CreateDbContextAsync();
        return await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id);
    }

    /// <summary>The whole run and whether an owner is on it, in one query: what a run's page and the API read.</summary>
    public async Task<(RunRecord? Record, bool IsMember)> GetWithMembershipAsync(Guid id, string ownerId)
    {
        await using var db = await factory.CreateDbContextAsync();
        var found = await db.Runs.AsNoTracking().Where(r => r.Id == id)
            .Select(r => new { Record = r, Member = db.RunMembers.Any(m => m.RunId == r.Id && m.OwnerId == ownerId) }).FirstOrDefaultAsync();
        return (found?.Record, found?.Member ?? false);
    }

    public async Task<RunSummary?> GetSummaryAsync(Guid id) => (await GetSummariesAsync([id])).FirstOrDefault();

    /// <summary>Slim rows for these runs, in the order asked.</summary>
    public async Task<List<RunSummary>> GetSummariesAsync(IReadOnlyCollection<Guid> ids)
    {
        await using var db = await factory.CreateDbContextAsync();
        var found = await Slim(db.Runs.Where(r => ids.Contains(r.Id))).ToListAsync();
        return ids.Select(id => found.FirstOrDefault(r => r.Id == id)).OfType<RunSummary>().ToList();
    }

    /// <summary>Newest first, a page at a time, filtered on the server.</summary>
    public async Task<RunListPage> ListAsync(RunFilter filter, int page = 0, int pageSize = 50)
    {
        await using var db = await factory.CreateDbContextAsync();
        var query = db.Runs.AsNoTracking();
        if (!string.IsNullOrEmpty(filter.Device))
            query = query.Where(r => r.Device == filter.Device || (r.Device == null && r.DeviceRequested == filter.Device));
        if (filter.Status is { } s) query = query.Where(r => r.Status == s);
        if (filter.OwnerId is { } owner)
            query = query.Where(r => db.RunMembers.Any(m => m.RunId == r.Id && m.OwnerId == owner));
        var total = await query.CountAsync();
        var items = await Slim(query.OrderByDescending(r => r.CreatedAt).Skip(Math.Max(page, 0) * pageSize).Take(pageSize)).ToListAsync();
        return new(items, total);
    }

    private async Task<bool> IsMemberAsync(Guid runId, string ownerId)
    {
        await using var db = await factory.CreateDbContextAsync();
        return await db.RunMembers.AnyAsync(m => m.RunId == runId && m.OwnerId == ownerId);
    }

    /// <summary>Whether an owner is on a run (started or joined it, and has not left), and whether it is a class demo.</summary>
    public async Task<(bool IsMember, bool ClassDemo)> MembershipAsync(Guid runId, string ownerId)
    {
        await using var db = await factory.CreateDbContextAsync();
        var run = await db.Runs.Where(r => r.Id == runId)
            .Select(r => new { r.ClassDemo, Member = db.RunMembers.Any(m => m.RunId == r.Id && m.OwnerId == ownerId) }).FirstOrDefaultAsync();
        return (run?.Member ?? false, run?.ClassDemo ?? false);
    }

    public async Task RemoveMemberAsync(Guid runId, string ownerId)
    {
        await using var db = await factory.CreateDbContextAsync();
        await db.RunMembers.Where(m => m.RunId == runId && m.OwnerId == ownerId).ExecuteDeleteAsync();
    }

    public async Task UpdateAsync(Guid id, Action<RunRecord> change) => await ChangeAsync(id, change, unlessFinished: false);

    /// <summary>
    /// Changes a run that has not finished; a finished run's row is left as it is (its end is final), and its
    /// status is returned. Null when the change was stored (or there is no such row).
    /// </summary>
    public Task<RunStatus?> UpdateUnlessFinishedAsync(Guid id, Action<RunRecord> change) => ChangeAsync(id, change, unlessFinished: true);

    private async Task<RunStatus?> ChangeAsync(Guid id, Action<RunRecord> change, bool unlessFinished)
    {
        await using var db = await factory.CreateDbContextAsync();
        var record = await db.Runs.FirstOrDefaultAsync(r => r.Id == id);
        if (record is null) return null;
        if (unlessFinished && record.IsFinished) return record.Status;
        change(record);
        await db.SaveChangesAsync();
        return null;
    }

    /// <summary>The stored status of a run, or null when there is no such run.</summary>
    public async Task<RunStatus?> StatusAsync(Guid id)
    {
        await using var db = await factory.CreateDbContextAsync();
        return await db.Runs.Where(r => r.Id == id).Select(r => (RunStatus?)r.Status).FirstOrDefaultAsync();
    }

    /// <summary>A run that ended without a result (cancelled, failed, interrupted), and why; a run already finished keeps its end (its status is returned).</summary>
    public Task<RunStatus?> FinishAsync(Guid id, RunStatus status, string message, DateTimeOffset at) => UpdateUnlessFinishedAsync(id, r =>
    {
        r.Status = status;
        r.Error = message;
        r.FinishedAt = at;
    });

    /// <summary>A completed run with its result and chart series; a run already finished keeps its end (its status is returned).</summary>
    public Task<RunStatus?> CompleteAsync(Guid id, RunResult result, RunSeries series, DateTimeOffset at) => UpdateUnlessFinishedAsync(id, r =>
    {
        r.Status = RunStatus.Completed;
        r.FinishedAt = at;
        r.Error = null;
        r.Device = result.Device;
        r.DeviceReason = result.DeviceReason;
        r.RuntimeBuild = result.RuntimeBuild;
        r.TotalSeconds = result.TotalSeconds;
        r.FeaturizeSeconds = result.FeaturizeWallSeconds;
        r.ImagesPerSecond = result.ImagesPerSecond;
        r.FeaturizeImagesPerSecond = result.FeaturizeImagesPerSecond;
        r.Accuracy = result.MicroAccuracy;
        r.StagesJson = JsonSerializer.Serialize(result.Stages, Json);
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

    private static IQueryable<RunSummary> Slim(IQueryable<RunRecord> runs) => runs.Select(r => new RunSummary(
        r.Id, r.OwnerId, r.CreatedAt, r.StartedAt, r.FinishedAt, r.Status, r.Dataset, r.Images, r.Epochs, r.DeviceRequested, r.Device,
        r.Seed, r.Group, r.Shared, r.Error, r.TotalSeconds, r.FeaturizeSeconds, r.ImagesPerSecond, r.FeaturizeImagesPerSecond, r.Accuracy,
        StagesOf(r.StagesJson), r.Worker, r.Precision));

    private static IReadOnlyList<StageTiming> StagesOf(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<List<StageTiming>>(json, Json) ?? [];
}
