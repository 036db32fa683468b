using LearnDL.Training.Runs;
using LearnDL.Web.RunService;
using LearnDL.Web.Workers;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LearnDL.Web.Telemetry;

/// <summary>
/// OpenTelemetry, as a host expects it: ASP.NET Core's, HttpClient's and the runtime's meters plus LearnDL's own
/// (<see cref="ClassMeters"/>), scraped at /metrics by Prometheus; and, only when OTEL_EXPORTER_OTLP_ENDPOINT is set,
/// metrics and traces (one per run, from the click through the queue and Hangfire to the worker) sent to that collector.
/// Without a collector no span is recorded, so a run pays nothing for tracing.
/// </summary>
public static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<ClassMeters>();
        services.AddSingleton<CircuitsOnline>();
        services.AddSingleton<MetricsAccess>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<CircuitHandler, CircuitsOnlineHandler>());

        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("learndl-web"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ClassMeters.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    // One histogram per component type and parameter update: many series, a cost on every render of every circuit.
                    .AddView("aspnetcore.components.update_parameters.duration", MetricStreamConfiguration.Drop)
                    .AddPrometheusExporter();
                if (otlp) metrics.AddOtlpExporter();
            });
        if (otlp)
            telemetry.WithTracing(tracing => tracing
                .AddSource(RunTracing.SourceName)
                // .NET 10's Blazor spans: a launcher's click is an event on a circuit, the run's trace starts under it.
                .AddSource("Microsoft.AspNetCore.Components")
                .AddAspNetCoreInstrumentation(o => o.Filter = context => context.Request.Path != MetricsPath)
                .AddHttpClientInstrumentation()
                .AddOtlpExporter());
        return services;
    }

    /// <summary>/metrics, for the instructor or the configured networks only (<see cref="MetricsAccess"/>); LearnDL's gauges start reading.</summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        var services = app.ServiceProvider;
        services.GetRequiredService<ClassMeters>().Observe(services.GetRequiredService<CircuitsOnline>(), services.GetRequiredService<IRunQueue>(),
            services.GetRequiredService<RunLifecycle>(), services.GetRequiredService<IWorkerDirectory>());
        var access = services.GetRequiredService<MetricsAccess>();
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: branch => branch.Use(async (context, next) =>
        {
            if (access.Allows(context)) { await next(); return; }
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(MetricsAccess.Refusal);
        }), optionsName: null).AllowAnonymous();
        return app;
    }
}
