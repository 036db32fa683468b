using LearnDL.Training.Runs;
using LearnDL.Training.Compute;
using LearnDL.Web.Data;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
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
        wiring.AddSingleton(gpu ? DeviceProbe.Known(new RuntimeBuild("gpu"), GpuReport()) : new DeviceProbe());
        wiring.AddSingleton(Saves);
        wiring.AddDbContextFactory<LearnDbContext>((sp, o) => o
            .UseSqlite($"Data Source={Path.Combine(_temp.Path, "runs.db")}")
            .AddInterceptors(sp.GetRequiredService<FailingSaves>(), Reads));
        wiring.AddWorkers(new ConfigurationBuilder().Build());
        wiring.AddRunService();
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

    private static DeviceReport GpuReport() => new()
    {
        CpuModel = "test CPU", LogicalCores = 2, VectorWidthBits = 256, MemoryTotalBytes = 1, MemoryAvailableBytes = 1, OperatingSystem = "test",
        NvidiaDriver = "test", Gpus = ["Test GPU (16 GiB)"], RuntimeBuild = "gpu", RuntimeBuildDescription = "GPU build",
        ProvidersCompiledIn = ["CUDAExecutionProvider", "CPUExecutionProvider"], CudaUsable = true, CudaStatus = "The CUDA provider loaded.",
        MissingLibraries = [], Advice = [],
    };

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
