using LearnDL.Web.Identity;

namespace LearnDL.Web.Features.Instructor;

/// <summary>A new name for a student, as the instructor types it.</summary>
public sealed record StudentNameBody(string? Name);

/// <summary>Whether joining needs the class code, and the code (on a change: empty keeps the one set).</summary>
public sealed record JoinCodeBody(bool Required, string? Code);

/// <summary>
/// /api/instructor/students: the class list, and the instructor's say over names and runs (the dashboard's Students
/// panel does the same). PUT/POST /api/instructor/join-code: whether joining needs the class code, and which.
/// </summary>
public static class StudentsApi
{
    public static IEndpointRouteBuilder MapStudentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/instructor/students").RequireAuthorization(Access.Instructor);
        // LearnDL's students and the LMS roster's learners, each with whether they launched from the LMS (Identity/Lti/Roster.cs).
        api.MapGet("", async (LearnDL.Web.Identity.Lti.ClassRoster roster) => Results.Ok(await roster.ClassListAsync()));
        // Each change reaches the class pulse too (its names, and a merged or removed student's records).
        api.MapPut("{id}/name", async (string id, StudentNameBody body, StudentRegistry students, ClassPulse pulse) =>
            Answer(await students.RenameAsync(id, body.Name), "Not renamed", pulse));
        // Their waiting runs stop with them.
        api.MapDelete("{id}", async (string id, StudentControls controls, ClassPulse pulse) =>
        {
            var removed = await controls.RemoveAsync(id);
            pulse.Invalidate();
            return removed ? Results.NoContent() : Results.Problem(statusCode: 404, title: "No such student");
        });
        // Everything of theirs: waiting and running runs that are theirs alone stop, shared ones go on without them.
        api.MapPost("{id}/cancel-runs", async (string id, StudentControls controls) =>
            await controls.StopRunsAsync(id) is { } done ? Results.Ok(done) : Results.Problem(statusCode: 404, title: "No such student"));
        api.MapPost("{id}/merge-into/{intoId}", async (string id, string intoId, StudentRegistry students, ClassPulse pulse) =>
            Answer(await students.MergeAsync(id, intoId), "Not merged", pulse));
        var code = app.MapGroup("/api/instructor/join-code").RequireAuthorization(Access.Instructor);
        code.MapGet("", (ClassCode classCode) => Results.Ok(new JoinCodeBody(classCode.Required, classCode.Code)));
        code.MapPut("", async (JoinCodeBody body, ClassCode classCode) =>
            await classCode.SetAsync(body.Required, body.Code) is { } problem
                ? Results.Problem(statusCode: 400, title: "Class code not changed", detail: problem)
                : Results.Ok(new JoinCodeBody(classCode.Required, classCode.Code)));
        return app;
    }

    private static IResult Answer(string? problem, string title, ClassPulse pulse)
    {
        pulse.Invalidate();
        return problem is null ? Results.NoContent() : Results.Problem(statusCode: 400, title: title, detail: problem);
    }
}
