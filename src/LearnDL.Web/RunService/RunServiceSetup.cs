using LearnDL.Training.Compute;
using LearnDL.Training.Featurization;
using LearnDL.Training.Training;

namespace LearnDL.Web.RunService;

/// <summary>The run service's registrations: queue, worker, hub, store, access rules.</summary>
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
        services.AddHostedService<RunWorker>();
        return services;
    }

    /// <summary>Prepares the database and starts the device probe in the background.</summary>
    public static async Task StartRunServiceAsync(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<DeviceProbe>().ReportAsync();
        var interrupted = await app.Services.GetRequiredService<RunStore>().InitializeAsync();
        if (interrupted > 0)
            app.Logger.LogWarning("{Count} runs were cut off by the last stop and are marked interrupted.", interrupted);
    }
}
