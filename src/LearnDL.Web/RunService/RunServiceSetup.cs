using LearnDL.Training.Compute;
using LearnDL.Training.Featurization;
using LearnDL.Training.Training;
using LearnDL.Web.Data;

namespace LearnDL.Web.RunService;

/// <summary>The run service's registrations: queue, worker, hub, store, access rules, the instructor's queue controls.</summary>
public static class RunServiceSetup
{
    public static IServiceCollection AddRunService(this IServiceCollection services)
    {
        services.AddSingleton<NetworkCache>();
        services.AddSingleton<RunEngine>();
        services.AddSingleton<RunStore>();
        services.AddSingleton<ModelFiles>();
        services.AddSingleton<RunHub>();
        services.AddSingleton<RunAccess>();
        services.AddSingleton<RunQueue>();
        services.AddSingleton<IRunQueue>(sp => sp.GetRequiredService<RunQueue>());
        services.AddSingleton<ClassStateStore>();
        services.AddSingleton<QueueControls>();
        services.AddHostedService<RunWorker>();
        return services;
    }

    /// <summary>
    /// Prepares the database, starts the device probe in the background, and pauses and limits the
    /// queues as the instructor left them, before the workers start: none takes a run from a queue
    /// still to be paused.
    /// </summary>
    public static async Task StartRunServiceAsync(this WebApplication app)
    {
        var services = app.Services;
        _ = services.GetRequiredService<DeviceProbe>().ReportAsync();
        var store = services.GetRequiredService<RunStore>();
        var interrupted = await store.InitializeAsync();
        if (interrupted > 0)
            app.Logger.LogWarning("{Count} runs were cut off by the last stop and are marked interrupted.", interrupted);

        var state = await services.GetRequiredService<ClassStateStore>().LoadAsync();
        if (services.GetRequiredService<QueueControls>().Apply(state) is { } applied)
            app.Logger.LogInformation("As the instructor left the class: {Applied}", applied);
    }
}
