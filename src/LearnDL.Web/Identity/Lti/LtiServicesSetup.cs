using Hangfire;
using Hangfire.PostgreSql;
using LearnDL.Web.Workers;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// What the LTI services do when a launch has been validated and its person signed in: the roster learns who came,
/// a lesson link with the grade service becomes where that student's score goes, and a deep linking request opens the
/// picker. Returns where to send the browser instead of the link's target (the picker, the linked lesson), or null.
/// </summary>
public sealed class LtiServiceLaunches(GradeLinks grades, ClassRoster roster, DeepLinkRequests requests, TimeProvider time)
{
    public async Task<string?> LaunchedAsync(LtiServiceClaims launch, string? studentId)
    {
        await roster.LaunchedAsync(launch, studentId);
        if (launch.MessageType == DeepLinkingNames.RequestMessage)
            return launch.DeepLinking is { } settings
                ? DeepLinkPaths.Picker(requests.Add(new DeepLinkRequest(launch.Issuer, launch.ClientId, launch.DeploymentId, settings, time.GetUtcNow())))
                : null;
        if (studentId is not null) await grades.LaunchedAsync(launch, studentId);
        return launch.Lesson is { } slug ? "/lessons/" + Uri.EscapeDataString(slug) : null;
    }
}

/// <summary>Where the deep linking picker lives.</summary>
public static class DeepLinkPaths
{
    public const string Route = "/lti/deep-link/{id}";
    public static string Picker(string id) => "/lti/deep-link/" + id;
}

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
        services.AddSingleton<DeepLinkRequests>();
        services.AddSingleton<LtiServiceLaunches>();
        services.AddSingleton<GradeLinks>();
        services.AddHostedService(sp => sp.GetRequiredService<GradeLinks>());
        services.AddSingleton<ScorePoster>();
        services.AddSingleton<LearnDL.Workers.IScorePost>(sp => sp.GetRequiredService<ScorePoster>());
        services.AddHostedService(sp => sp.GetRequiredService<ScorePoster>());
        services.AddTransient<LearnDL.Workers.ScorePostJob>();
        services.AddHostedService<ScoreJobServer>();
        services.AddLtiFoundationSeams();
        return services;
    }
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
