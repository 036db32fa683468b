using Hangfire;
using Hangfire.PostgreSql;
using LearnDL.Web.Workers;

namespace LearnDL.Web.Identity.Lti;

/// <summary>Registers the LTI services: tokens, the gradebook, the roster, deep linking, and the poster of scores.</summary>
public static class LtiServicesSetup
{
    public static IServiceCollection AddLtiServices(this IServiceCollection services)
    {
        services.AddHttpClient(PlatformTokens.Client, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<PlatformTokens>();
        services.AddSingleton<GradebookClient>();
        services.AddSingleton<RosterClient>();
        services.AddSingleton<ClassRoster>();
        services.AddSingleton<GradeLinks>();
        services.AddHostedService(sp => sp.GetRequiredService<GradeLinks>());
        services.AddSingleton<ScorePoster>();
        services.AddSingleton<LearnDL.Workers.IScorePost>(sp => sp.GetRequiredService<ScorePoster>());
        services.AddHostedService(sp => sp.GetRequiredService<ScorePoster>());
        services.AddTransient<LearnDL.Workers.ScorePostJob>();
        services.AddHostedService<ScoreJobServer>();
        // From the foundation: the platforms (LearnDL:Lti:Platforms and those registered by URL) and the tool's key.
        services.AddSingleton<FindPlatformAccess>(sp =>
        {
            var platforms = sp.GetRequiredService<LtiPlatforms>();
            return (issuer, clientId) => platforms.Find(issuer, clientId) is { TokenEndpoint.Length: > 0 } p ? new PlatformAccess(p.Issuer, p.ClientId, p.TokenEndpoint) : null;
        });
        services.AddSingleton<IToolSigningCredentials, ToolKeyCredentials>();
        return services;
    }
}

/// <summary>The tool's current key from its key store (rotated there; the old one stays published while in use).</summary>
internal sealed class ToolKeyCredentials(LtiToolKeys keys) : IToolSigningCredentials
{
    public Microsoft.IdentityModel.Tokens.SigningCredentials Current => keys.SigningCredentials;
}

/// <summary>
/// With worker machines, the web app serves the score posts' Hangfire queue itself (one at a time): the job needs this
/// app's database and the tool's key, which workers do not have. Without them there is nothing to serve.
/// </summary>
internal sealed class ScoreJobServer(WorkersOptions workers, IServiceProvider services, IServiceScopeFactory scopes) : IHostedService, IDisposable
{
    private BackgroundJobServer? _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!workers.IsRemote || services.GetService<PostgreSqlStorage>() is not { } storage) return Task.CompletedTask;
        _server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            ServerName = $"learndl-web-scores-{Environment.MachineName}",
            Queues = [ScorePoster.Queue],
            WorkerCount = 1,
            // Retries wait in the scheduled set: look at it every 5 s (Hangfire's 15 s default would add up to 15 s to each backoff).
            SchedulePollingInterval = TimeSpan.FromSeconds(5),
            Activator = new Hangfire.AspNetCore.AspNetCoreJobActivator(scopes),
        }, storage);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is null) return;
        _server.SendStop();
        await _server.WaitForShutdownAsync(cancellationToken);
    }

    public void Dispose() => _server?.Dispose();
}
