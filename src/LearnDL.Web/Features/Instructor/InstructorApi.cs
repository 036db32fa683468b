using LearnDL.Training.Compute;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Instructor;

/// <summary>/api/instructor: the dashboard's actions for the instructor's own tools. Without the instructor's cookie: 401 (403 for a student).</summary>
public static class InstructorApi
{
    public static IEndpointRouteBuilder MapInstructorApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/instructor").RequireAuthorization(Access.Instructor);
        api.MapGet("queue", (IRunQueue queue) => Results.Ok(queue.View()));
        api.MapPost("queue/{device}/pause", (string device, QueueControls controls) => PauseAsync(device, controls, true));
        api.MapPost("queue/{device}/resume", (string device, QueueControls controls) => PauseAsync(device, controls, false));
        api.MapGet("limits", (IRunQueue queue) => Results.Ok(queue.Limits));
        // Kept across restarts; 400 names the limit and its bounds.
        api.MapPut("limits", async (RunLimits limits, QueueControls controls, IRunQueue queue) =>
        {
            try { await controls.ChangeLimitsAsync(limits); return Results.Ok(queue.Limits); }
            catch (ArgumentException e) { return Results.Problem(statusCode: 400, title: "Limits not changed", detail: e.Message); }
        });
        api.MapDelete("limits", async (QueueControls controls) => Results.Ok(await controls.ResetLimitsAsync()));
        api.MapGet("results", async (ClassResults results, string? device, string? dataset, string? student) =>
            Results.Ok(await results.ListAsync(new(device, dataset, student))));
        api.MapGet("results.csv", async (ClassResults results, string? device, string? dataset, string? student) =>
            Results.File(System.Text.Encoding.UTF8.GetBytes(ClassResults.Csv(await results.ListAsync(new(device, dataset, student)))),
                "text/csv; charset=utf-8", $"learndl-class-results-{DateTime.UtcNow:yyyyMMdd-HHmm}.csv"));
        api.MapPost("comparison", async (bool show, ClassSettings settings) =>
        {
            await settings.SetShowComparisonAsync(show);
            return Results.Ok(new { show });
        });
        return app;
    }

    private static async Task<IResult> PauseAsync(string device, QueueControls controls, bool paused)
    {
        if (!DeviceNames.TryParse(device, out var request) || request == DeviceRequest.Auto)
            return Results.Problem(statusCode: 400, title: "Unknown device", detail: "The device is cpu or gpu.");
        await controls.PauseAsync(request == DeviceRequest.Gpu ? ComputeDevice.Gpu : ComputeDevice.Cpu, paused);
        return Results.Ok(new { device = device.ToLowerInvariant(), paused });
    }
}
