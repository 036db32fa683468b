using LearnDL.Training.Runs;
using LearnDL.Training.Compute;
using LearnDL.Web.Data;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using LearnDL.Web.Live;
using LearnDL.Web.RunService;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using LearnDL.Web.Workers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Tests.RunService;

/// <summary>
/// The run service as the app wires it (real SQLite, real engine and queue), without the web host,
/// so a test can reach the queue's worker side directly, pretend to have a GPU, or make storing fail.
/// </summary>
public sealed class QueueFixture : IAsyncDisposable
{
    private readonly TempFolder _temp = new();
    private readonly ServiceProvider _services;

    /// <param name="services">Registrations that take the place of the app's own (added last, so they win).</param>
    public QueueFixture(Action<LearnDLOptions>? configure = null, bool gpu = false, Action<IServiceCollection>? services = null, TimeProvider? time = null)
    {
        var options = new LearnDLOptions { DataFolder = _temp.Path, MaxConcurrentCpuRuns = 1, MaxConcurrentGpuRuns = 1 };
        configure?.Invoke(options);
        var wiring = new ServiceCollection();
        wiring.AddLogging();
        wiring.AddSingleton(Options.Create(options));
        wiring.AddSingleton(time ?? TimeProvider.System);
        wiring.AddDatasets();
        wiring.AddSingleton(new DeviceProbe());
        wiring.AddSingleton(Saves);
        wiring.AddDbContextFactory<LearnDbContext>((sp, o) => o
            .UseLearnDatabase(Path.Combine(_temp.Path, "runs.db"))
            .AddInterceptors(sp.GetRequiredService<FailingSaves>(), Reads));
        wiring.AddWorkers(new ConfigurationBuilder().Build());
        wiring.AddRunService();
        // A machine with a usable GPU, as the queue sees one: the executor (the queue's seam to the machines) chooses it.
        if (gpu) wiring.AddSingleton<IRunExecutor>(sp => new GpuMachine(ActivatorUtilities.CreateInstance<InProcessRunExecutor>(sp)));
        services?.Invoke(wiring);
        _services = wiring.BuildServiceProvider();
        Store.InitializeAsync().GetAwaiter().GetResult();
    }

    /// <summary>Counts the queries the app sends, for tests of what a page costs.</summary>
    public CountingReads Reads { get; } = new();

    /// <summary>Turn on to make every database write fail from then on.</summary>
    public FailingSaves Saves { get; } = new();

    public RunQueue Queue => _services.GetRequiredService<RunQueue>();
    public RunLifecycle Runs => _services.GetRequiredService<RunLifecycle>();
    public LiveUpdates Updates => _services.GetRequiredService<LiveUpdates>();
    public RunStore Store => _services.GetRequiredService<RunStore>();
    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public static RunSettings Request(int seed = 1, DeviceRequest device = DeviceRequest.Cpu, bool shared = false, int images = 12) =>
        new() { Dataset = "builtin", Images = images, Epochs = 1, Seed = seed, Device = device, Shared = shared };

    public static RunOwner Owner(string name) => new("owner-" + name, name, OwnerRole.Learner);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _temp.Dispose();
    }
}

/// <summary>Makes database writes fail on demand, the way a full disk would.</summary>
public sealed class FailingSaves : SaveChangesInterceptor
{
    public volatile bool Fail;

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
        Fail ? throw new IOException("database or disk is full") : base.SavingChangesAsync(eventData, result, cancellationToken);
}

/// <summary>Counts the queries (readers) sent to the database.</summary>
public sealed class CountingReads : DbCommandInterceptor
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public override ValueTask<InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(System.Data.Common.DbCommand command,
        CommandEventData eventData, InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _count);
        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }
}

/// <summary>This machine's executor, on a machine whose CUDA provider loads: GPU and Auto requests get the GPU.</summary>
internal sealed class GpuMachine(IRunExecutor cpuOnly) : IRunExecutor
{
    public Task<DeviceChoice> ChooseDeviceAsync(DeviceRequest request)
    {
        var decision = DeviceProbe.Decide(request, gpuBuild: true, cudaUsable: true);
        return Task.FromResult(new DeviceChoice(decision.Device!.Value, DeviceMessages.Reason(decision.Reason, null)));
    }

    public Task<RunResult> ExecuteAsync(RunSpec spec, DeviceChoice device, IRunEventSink sink, CancellationToken cancellationToken, CancellationToken stopping) =>
        cpuOnly.ExecuteAsync(spec, device, sink, cancellationToken, stopping);

    public string? DatasetProblem(string engineDataset, bool isUpload) => cpuOnly.DatasetProblem(engineDataset, isUpload);

    public Task<IReadOnlyList<Guid>> ContinuingAsync(IReadOnlyCollection<Guid> runIds) => cpuOnly.ContinuingAsync(runIds);
}
