using LearnDL.Training.Compute;
using LearnDL.Training.Featurization;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using LearnDL.Web.Live;

namespace LearnDL.Web.RunService;

/// <summary>The run service's registrations (the executor is AddWorkers'): queue, worker, lifecycle, live updates, store, the instructor's queue controls.</summary>
public static class RunServiceSetup
{
    public static IServiceCollection AddRunService(this IServiceCollection services)
    {
        services.AddSingleton<NetworkCache>();
        services.AddSingleton<RunEngine>();
        // Where runs execute (this process, or worker machines) is the Workers folder's choice (AddWorkers), not this one's.
        services.AddSingleton<RunStore>();
        services.AddSingleton<IRunMembership>(sp => sp.GetRequiredService<RunStore>());
        services.AddSingleton<ModelFiles>();
        services.AddSingleton<LiveUpdates>();
        // The lifecycle counts runs started and ended on LearnDL's meter (Telemetry/ClassMeters.cs).
        services.AddMetrics();
        services.TryAddSingleton<Telemetry.ClassMeters>();
        services.AddSingleton<RunLifecycle>();
        services.AddSingleton<RunViews>();
        services.AddSingleton<ServerPaths>();
        // Who may see, leave and stop a run.
        services.AddAccessRules();
        services.AddSingleton<RunQueue>();
        services.AddSingleton<IRunQueue>(sp => sp.GetRequiredService<RunQueue>());
        services.AddSingleton<ClassStateStore>();
        services.AddSingleton<QueueControls>();
        services.AddHostedService<RunDispatcher>();
        return services;
    }

    /// <summary>
    /// Prepares the database, starts the device probe in the background, and picks the class up where
    /// the last stop left it: the instructor's pauses and limits first, then the runs that were
    /// waiting, back in line. Before the workers start, so none takes a run from a queue still to be paused.
    /// </summary>
    public static async Task StartRunServiceAsync(this WebApplication app)
    {
        var services = app.Services;
        _ = services.GetRequiredService<DeviceProbe>().ReportAsync();
        var store = services.GetRequiredService<RunStore>();
        // Runs on worker machines went on while this app was down: they are followed again, not interrupted.
        await store.MigrateAsync();
        // Names keyed by the current rules, and the networks they were made from, before any run is taken back.
        await services.GetRequiredService<StudentRegistry>().StartAsync();
        var running = await store.UnfinishedAsync(RunStatus.Running);
        var continuing = await services.GetRequiredService<IRunExecutor>().ContinuingAsync(running.Select(r => r.Record.Id).ToList());
        var interrupted = await store.InitializeAsync(continuing);
        if (interrupted > 0)
            app.Logger.LogWarning("{Count} runs were cut off by the last stop and are marked interrupted.", interrupted);
        var queue = services.GetRequiredService<RunQueue>();
        if (continuing.Count > 0)
        {
            var goOn = running.Where(r => continuing.Contains(r.Record.Id)).ToList();
            queue.Resume(goOn, await services.GetRequiredService<StudentRegistry>().NamesAsync(goOn.Select(w => w.Record.OwnerId)));
            app.Logger.LogInformation("{Count} runs go on on worker machines and are followed again.", goOn.Count);
        }

        var state = await services.GetRequiredService<ClassStateStore>().LoadAsync();
        if (services.GetRequiredService<QueueControls>().Apply(state) is { } applied)
            app.Logger.LogInformation("As the instructor left the class: {Applied}", applied);

        var waiting = await store.UnfinishedAsync();
        if (waiting.Count == 0) return;
        var names = await services.GetRequiredService<StudentRegistry>().NamesAsync(waiting.Select(w => w.Record.OwnerId));
        var outcome = await queue.RestoreAsync(waiting, names);
        app.Logger.LogInformation("{Queued} runs that were waiting at the last stop are back in line; {Failed} could no longer run (marked failed, with the reason).",
            outcome.Queued, outcome.Failed);
    }
}
