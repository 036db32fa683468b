using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Featurization;
using LearnDL.Training.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using LearnDL.Training.Text;
using Microsoft.Extensions.Configuration;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LearnDL.Workers;

/// <summary>What `learndl worker` was asked for.</summary>
public sealed record WorkerSettings(string Jobs, DeviceRequest Device, int Slots, string? Name);

/// <summary>
/// `learndl worker`: probes this machine's device honestly (a GPU worker whose CUDA does not load
/// refuses to start, naming what is missing), measures a short run, announces itself, then serves runs
/// until drained. The first Ctrl+C drains (the running runs finish); a second one stops them.
/// </summary>
public static class WorkerHost
{
    public static async Task RunAsync(WorkerSettings settings, DatasetOptions datasetOptions, DeviceProbe probe, Action<string> say,
        CancellationToken drain, CancellationToken stopNow)
    {
        if (settings.Slots is < 1 or > 64) throw new ArgumentException("--slots must be between 1 and 64.");
        var device = await ChooseDeviceAsync(settings.Device, probe);
        var report = await probe.ReportAsync();
        var catalog = new DatasetCatalog(datasetOptions);
        var datasets = catalog.List().Where(d => d.Available && !d.Name.StartsWith(FolderDataset.Prefix, StringComparison.Ordinal)).Select(d => d.Name).ToList();
        var name = string.IsNullOrWhiteSpace(settings.Name) ? $"{Environment.MachineName.ToLowerInvariant()}-{device.ToId()}" : settings.Name.Trim();

        await using var database = new JobsDatabase(settings.Jobs);
        await database.EnsureSchemaAsync(drain);
        var engine = new RunEngine(catalog, probe, new NetworkCache());
        say($"worker {name}: measuring a short run on the {device.ToId().ToUpperInvariant()}...");
        var measured = await engine.RunAsync(new RunOptions { Dataset = BuiltinDataset.Name, Images = 32, Epochs = 1 }, new DeviceChoice(device, "The worker's own device."), null, drain);

        var announcement = new WorkerInfo(name, device.ToId(), probe.Build.Id, report.CpuModel, report.LogicalCores,
            device == ComputeDevice.Gpu ? report.GpuSummary : null, datasets, Math.Round(measured.FeaturizeImagesPerSecond, 1),
            settings.Slots, 0, false, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, 0);
        var registry = new WorkerRegistry(database);
        await registry.AnnounceAsync(announcement, drain);
        var state = new WorkerState(new WorkerIdentity(name, settings.Slots,
            Path.Combine(datasetOptions.DataFolder, "worker-cache")));
        say($"worker {name} joined: {device.ToId().ToUpperInvariant()}{(device == ComputeDevice.Gpu ? $" ({report.GpuSummary})" : "")}, " +
            $"{Plural.Of(settings.Slots, "slot")}, {announcement.ImagesPerSecond:0.#} images/s, datasets {string.Join(", ", datasets)}. Ctrl+C drains; twice stops the runs.");

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>(); // Ctrl+C drains, it does not stop the host
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(database.CreateHangfireStorage());
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(announcement);
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton<DatabaseClock>();
        builder.Services.AddSingleton<RunExchange>();
        builder.Services.AddSingleton<DatasetExchange>();
        builder.Services.AddTransient<RemoteRunJob>();
        builder.Services.AddHostedService<WorkerService>();
        AddTracing(builder, name);
        using var host = builder.Build();

        using var onDrain = drain.Register(() =>
        {
            say($"worker {name}: draining; running runs finish first (Ctrl+C again stops them)...");
            state.Drain();
        });
        using var onStop = stopNow.Register(() =>
        {
            say($"worker {name}: stopping its runs now...");
            state.StopAll();
            state.Drain();
        });
        await host.RunAsync(CancellationToken.None);
    }

    /// <summary>
    /// Only when OTEL_EXPORTER_OTLP_ENDPOINT is set (the web app's collector): the worker's spans of each run, under the
    /// click's trace. Without it no exporter tries to reach anything, and no span is recorded.
    /// </summary>
    private static void AddTracing(HostApplicationBuilder builder, string name)
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))) return;
        builder.Configuration.AddEnvironmentVariables(); // OTEL_*: the exporter's standard settings (the host was built without defaults)
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("learndl-worker", serviceInstanceId: name))
            .WithTracing(t => t.AddSource(RunTracing.SourceName).AddOtlpExporter());
    }

    private static async Task<ComputeDevice> ChooseDeviceAsync(DeviceRequest request, DeviceProbe probe)
    {
        if (request == DeviceRequest.Cpu) return ComputeDevice.Cpu;
        var report = await probe.ReportAsync();
        try
        {
            return probe.Choose(request).Device;
        }
        catch (DeviceUnavailableException e)
        {
            // The probe's reason names the CUDA libraries the loader could not find; say them when it does not.
            var missing = report.MissingLibraries.Count > 0 && !e.Message.Contains(report.MissingLibraries[0], StringComparison.Ordinal)
                ? $" Missing: {string.Join(", ", report.MissingLibraries)}." : "";
            throw new DeviceUnavailableException($"This worker cannot serve GPU runs. {e.Message}{missing}");
        }
    }

    /// <summary>The host stops when the worker has drained, never on its own at Ctrl+C (the command line turns that into a drain).</summary>
    private sealed class CommandLineLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
