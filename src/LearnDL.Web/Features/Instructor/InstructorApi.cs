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
        api.MapPut("limits", async (LimitsBody body, QueueControls controls, IRunQueue queue) =>
        {
            try { await controls.ChangeLimitsAsync(body.ToLimits()); return Results.Ok(queue.Limits); }
            catch (ArgumentException e) { return Results.Problem(statusCode: 400, title: "Limits not changed", detail: e.Message); }
        });
        api.MapDelete("limits", async (QueueControls controls) => Results.Ok(await controls.ResetLimitsAsync()));
        api.MapGet("results", async (ClassResults results, string? device, string? dataset, string? student) =>
            Results.Ok(await results.ListAsync(new(device, dataset, student))));
        api.MapGet("results.csv", async (ClassResults results, string? device, string? dataset, string? student) =>
            Results.File(System.Text.Encoding.UTF8.GetBytes(ClassResults.Csv(await results.ListAsync(new(device, dataset, student)))),
                "text/csv; charset=utf-8", $"learndl-class-results-{DateTime.UtcNow:yyyyMMdd-HHmm}.csv"));
        // The class pulse, in the shape tools read (the panel shows the same figures); DELETE clears the class's records.
        api.MapGet("pulse", async (ClassPulse pulse) => Results.Ok(PulseBody(await pulse.GetAsync())));
        api.MapDelete("pulse", async (ClassPulse pulse) => { await pulse.ClearAsync(); return Results.NoContent(); });
        api.MapGet("answers.csv", async (StudentWork work) =>
            Results.File(System.Text.Encoding.UTF8.GetBytes(await work.FirstTriesCsvAsync()),
                "text/csv; charset=utf-8", $"learndl-class-answers-{DateTime.UtcNow:yyyyMMdd-HHmm}.csv"));
        api.MapGet("students/{id}/work", async (string id, StudentWork work) =>
            await work.FindAsync(id) is { } view ? Results.Ok(view) : Results.Problem(statusCode: 404, title: "No such student"));
        api.MapPost("comparison", async (bool show, ClassSettings settings) =>
        {
            await settings.SetShowComparisonAsync(show);
            return Results.Ok(new { show });
        });
        return app;
    }

    /// <summary>Exactly the fields the pulse's API promises, whatever else the view carries.</summary>
    internal static object PulseBody(ClassPulseView view) => new
    {
        lessons = view.Lessons.Select(l => new { slug = l.Slug, opened = l.Opened, finished = l.Finished, medianSeconds = l.MedianSeconds }),
        questions = view.Questions.Select(q => new
        {
            lesson = q.Lesson, id = q.Id, text = q.Text, answered = q.Answered, firstTryCorrect = q.FirstTryCorrect,
            firstTryCorrectShare = q.FirstTryCorrectShare, commonWrongAnswer = q.CommonWrongAnswer,
        }),
        stuck = view.Stuck.Select(s => new { student = s.Student, lesson = s.Lesson, reason = s.Reason, since = s.Since }),
        flagged = view.Flagged.Select(f => new { student = f.Student, answers = f.Answers, reason = f.Reason, since = f.Since }),
    };

    private static async Task<IResult> PauseAsync(string device, QueueControls controls, bool paused)
    {
        if (!DeviceNames.TryParse(device, out var request) || request == DeviceRequest.Auto)
            return Results.Problem(statusCode: 400, title: "Unknown device", detail: "The device is cpu or gpu.");
        await controls.PauseAsync(request == DeviceRequest.Gpu ? ComputeDevice.Gpu : ComputeDevice.Cpu, paused);
        return Results.Ok(new { device = device.ToLowerInvariant(), paused });
    }
}
