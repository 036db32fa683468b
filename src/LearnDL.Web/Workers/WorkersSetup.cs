using Hangfire;
using Hangfire.PostgreSql;
using LearnDL.Training.Compute;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using LearnDL.Workers;

namespace LearnDL.Web.Workers;

/// <summary>
/// Where runs execute. Nothing configured: in this app's process, as always. LearnDL:Workers:Engine =
/// postgres with ConnectionStrings:Jobs: on `learndl worker` machines through Hangfire; this app is a
/// Hangfire client only and keeps LearnDL's own rules (admission, limits, turns, shared runs).
/// </summary>
public static class WorkersSetup
{
    /// <summary>Registers where runs execute, once: the executor and the machines pages show (in any order with the run service).</summary>
    public static IServiceCollection AddWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(WorkersOptions.Section).Get<WorkersOptions>() ?? new();
        var jobs = configuration.GetConnectionString("Jobs");
        if (settings.Problems(jobs) is { Count: > 0 } problems) throw new InvalidOperationException(string.Join(" ", problems));
        services.AddSingleton(settings);
        if (!settings.IsRemote)
        {
            services.AddSingleton<IRunExecutor, InProcessRunExecutor>();
            services.AddSingleton<IWorkerDirectory, LocalWorkers>();
            return services;
        }
        services.AddSingleton(_ => new JobsDatabase(jobs!));
        services.AddSingleton(sp => sp.GetRequiredService<JobsDatabase>().CreateHangfireStorage());
        services.AddSingleton<IBackgroundJobClient>(sp =>
        {
            // Hangfire's log provider is process-wide: resolving its configuration first makes it this app's logging,
            // not that of an earlier host in the same process (whose logger factory may be disposed).
            sp.GetRequiredService<IGlobalConfiguration>();
            return new BackgroundJobClient(sp.GetRequiredService<PostgreSqlStorage>());
        });
        // A Hangfire client only (no server here); its dashboard needs Hangfire's services.
        services.AddHangfire((sp, hangfire) => hangfire.UseStorage(sp.GetRequiredService<PostgreSqlStorage>()));
        services.AddSingleton<RunExchange>();
        services.AddSingleton<DatabaseClock>();
        services.AddSingleton<DatasetExchange>();
        services.AddSingleton<WorkerRegistry>();
        services.AddSingleton<JobsListener>();
        services.AddHostedService(sp => sp.GetRequiredService<JobsListener>());
        services.AddSingleton<LiveWorkers>();
        services.AddSingleton<WorkerDirectory>();
        services.AddSingleton<IWorkerDirectory>(sp => sp.GetRequiredService<WorkerDirectory>());
        services.AddHostedService(sp => sp.GetRequiredService<WorkerDirectory>());
        services.AddSingleton<IRunExecutor, RemoteRunExecutor>();
        return services;
    }

    /// <summary>Before the run service starts: the shared tables exist, and no run is handed out before the live workers are known.</summary>
    public static async Task StartWorkersAsync(this WebApplication app)
    {
        if (app.Services.GetService<WorkerDirectory>() is not { } directory) return;
        await app.Services.GetRequiredService<JobsDatabase>().EnsureSchemaAsync();
        _ = app.Services.GetRequiredService<PostgreSqlStorage>(); // prepares Hangfire's schema now, not at the first run
        var queue = app.Services.GetRequiredService<RunQueue>();
        foreach (var device in Enum.GetValues<ComputeDevice>()) queue.SetCapacity(device, 0);
        await directory.RefreshAsync();
        app.Logger.LogInformation("Runs go to worker machines through PostgreSQL: {Cpu}; {Gpu}.",
            directory.CapacityLine(ComputeDevice.Cpu), directory.CapacityLine(ComputeDevice.Gpu));
    }

    /// <summary>
    /// GET /api/workers (the instructor in a class, the learner on a personal server) and POST /api/workers/{name}/drain;
    /// with worker machines, Hangfire's own dashboard at /instructor/jobs, read-only, for the same people.
    /// </summary>
    public static IEndpointRouteBuilder MapWorkersApi(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<PostgreSqlStorage>() is { } storage)
            app.MapHangfireDashboard("/instructor/jobs", new DashboardOptions
            {
                // Who may see it is decided by the endpoint's policy, as for every other page (Hangfire's default allows local requests only).
                Authorization = [],
                IsReadOnlyFunc = _ => true,
                DashboardTitle = "LearnDL jobs",
                AppPath = "/instructor",
            }, storage).RequireAuthorization(Access.Machines);
        var api = app.MapGroup("/api/workers").RequireAuthorization(Access.Machines);
        api.MapGet("", (IWorkerDirectory directory) => Results.Ok(directory.Body()));
        api.MapPost("{name}/drain", async (string name, IWorkerDirectory directory) =>
            await directory.DrainAsync(name)
                ? Results.Accepted("/api/workers", new { name, draining = true })
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such worker",
                    detail: directory.Engine == WorkersOptions.InProcess
                        ? "Runs execute in this app's own process: there is no worker machine to drain."
                        : $"No worker called '{name}' is in the register."));
        return app;
    }
}
