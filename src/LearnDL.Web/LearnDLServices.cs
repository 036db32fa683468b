using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Features.Compare;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.Features.Instructor;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Features.Lessons.Demos;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using LearnDL.Web.Reconnection;
using LearnDL.Web.Identity.Lti;
using LearnDL.Web.RunService;
using LearnDL.Web.Telemetry;
using LearnDL.Web.Workers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Services;

namespace LearnDL.Web;

/// <summary>All of LearnDL's registrations and start-up steps, in one place.</summary>
public static class LearnDLServices
{
    public static WebApplicationBuilder AddLearnDL(this WebApplicationBuilder builder)
    {
        UseRepositorySettings(builder.Configuration);
        var services = builder.Services;
        services.AddOptions<LearnDLOptions>().BindConfiguration(LearnDLOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LearnDLOptions>, ValidateLearnDLOptions>();
        services.TryAddSingleton(TimeProvider.System);

        // Datasets and devices
        services.AddDatasets();
        services.TryAddSingleton(_ => new DeviceProbe());

        services.AddDbContextFactory<LearnDbContext>((sp, db) =>
        {
            var folder = sp.GetRequiredService<IOptions<LearnDLOptions>>().Value.ResolvedDataFolder;
            Directory.CreateDirectory(folder);
            db.UseLearnDatabase(Path.Combine(folder, "learndl.db"));
        });
        // Runs: where they execute (this process, or worker machines), then queue, worker, lifecycle, live updates, store, API
        services.AddWorkers(builder.Configuration);
        services.AddRunService();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
        services.AddSingleton<CompareService>();
        services.AddSingleton<RunClassifier>();
        services.AddSingleton<RunAgain>();
        services.AddSingleton<LearnDL.Web.Features.Replay.ReplayPlanner>();

        // Owners and the class: the instructor, what they switch, and how the server is hosted (students are registered with the datasets)
        services.AddOwners();
        // Where an upload comes from, for the per-address quota: a circuit's connection, or the request.
        services.AddHttpContextAccessor();
        services.AddScoped<ClientAddress>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, ClientAddressCircuitHandler>());
        services.AddSingleton<ClassSettings>();
        services.AddSingleton<StudentControls>();
        services.AddSingleton<ClassDemo>();
        services.AddSingleton<ClassResults>();
        services.AddClassSignIn();
        services.AddPersistentKeys(builder.Configuration);
        services.AddLti(); // LTI 1.3: launches from a learning management system (Identity/Lti)
        services.AddHosting(builder.Configuration.GetSection(LearnDLOptions.Section).Get<LearnDLOptions>()?.Hosting ?? new());

        // The course
        services.AddSingleton(_ => new LessonCatalog(Path.Combine(AppContext.BaseDirectory, "lessons")));
        services.AddSingleton(_ => GpuReference.Load(Path.Combine(AppContext.BaseDirectory, "gpu-reference.json")));
        services.AddSingleton<MeasuredSpeeds>();
        services.AddScoped<BrowserProgressStore>();
        services.AddScoped<IProgressStore, OwnerProgressStore>();
        services.AddScoped<LessonProgress>();
        // The learner's own GPU, measured with lesson 8's notebook (Features/MyGpu).
        services.AddScoped<LearnDL.Web.Features.MyGpu.BrowserGpuStore>();
        services.AddScoped<LearnDL.Web.Features.MyGpu.IMyGpuStore, LearnDL.Web.Features.MyGpu.OwnerGpuStore>();
        services.AddScoped<LearnDL.Web.Features.MyGpu.MyGpuState>();
        services.AddSingleton<LearnDL.Web.Features.MyGpu.ClassGpus>();
        // What students do in the lessons reaches the instructor's class pulse (class mode; see Features/Instructor).
        services.AddSingleton<ClassPulse>();
        services.AddSingleton<StudentWork>();
        services.AddSingleton<LessonActivityFor>(sp => owner => new ClassActivity(sp.GetRequiredService<ClassPulse>(), sp.GetRequiredService<StudentRegistry>(), owner,
            sp.GetRequiredService<LearnDL.Web.Identity.Lti.GradeLinks>()));
        // LTI services (issue 22): deep linking, the LMS roster, scores to the LMS's gradebook (Identity/Lti).
        services.AddLtiServices();
        services.AddSingleton<LearnDL.Web.Identity.Lti.ILessons, LessonScores>();
        services.AddScoped<ILessonActivity>(sp => sp.GetRequiredService<LessonActivityFor>()(sp.GetRequiredService<CurrentOwner>().FindAsync));

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCircuitRetention(); // a class's pages after a dropped connection (Reconnection/)
        services.AddMudServices(c => c.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight);
        services.AddHealthChecks();
        // Metrics at /metrics, traces to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set (Telemetry/).
        services.AddTelemetry(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// The one appsettings.json lives at the repository root and is copied next to the app. Under
    /// `dotnet run` the content root is the project folder, which has none: load the copy, in the
    /// place of the usual appsettings.json, so environment variables and the command line still win.
    /// </summary>
    private static void UseRepositorySettings(ConfigurationManager configuration)
    {
        var copy = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (!File.Exists(copy)) return;
        var sources = configuration.Sources;
        var position = sources.Select((s, i) => (s, i)).LastOrDefault(p => p.s is JsonConfigurationSource { Path: "appsettings.json" }).i;
        sources.Insert(position + 1, new JsonConfigurationSource
        {
            FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory), Path = "appsettings.json", Optional = true,
        });
    }

    public static async Task<WebApplication> UseLearnDLAsync(this WebApplication app)
    {
        // A broken lesson file (or a missing file of reference figures) fails the start, where the
        // instructor sees it, not a page mid-class.
        var lessons = app.Services.GetRequiredService<LessonCatalog>().All;
        app.Services.GetRequiredService<GpuReference>();
        app.Logger.LogInformation("{Count} lessons loaded.", lessons.Count);
        await app.StartWorkersAsync();
        await app.StartRunServiceAsync();

        var settings = app.Services.GetRequiredService<IOptions<LearnDLOptions>>().Value;
        var platforms = app.Services.GetRequiredService<LtiPlatforms>();
        app.UseHosting(settings.Hosting, platforms.FrameOrigins); // framing allowed to the LTI platforms' pages only (registered ones at once)
        // Early, after forwarded headers: another site's page never opens a circuit or changes anything (Identity/SameOriginRule.cs).
        app.UseSameOriginRule();
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        // Routing after the hosting middleware, so a HEAD request finds the GET endpoint.
        app.UseRouting();
        app.MapStaticAssets().AllowAnonymous();
        app.UseOwners();
        app.UseRateLimiter();
        app.UseAntiforgery();
        // Lesson pictures and diagrams, from the repository's wwwroot-content folder.
        var content = Path.Combine(AppContext.BaseDirectory, "wwwroot-content");
        Directory.CreateDirectory(content);
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(content), RequestPath = "/content" });
        app.MapLearnDLEndpoints();
        // Blazor would add a second Content-Security-Policy (frame-ancestors 'self') to every page; ours already
        // says frame-ancestors 'none', or the LTI platforms' origins (Hosting.ContentSecurityPolicyFor), so each answer carries one policy.
        app.MapRazorComponents<Components.App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        return app;
    }
}
