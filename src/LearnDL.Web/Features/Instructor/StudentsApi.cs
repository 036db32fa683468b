using LearnDL.Web.Identity;

namespace LearnDL.Web.Features.Instructor;

/// <summary>A new name for a student, as the instructor types it.</summary>
public sealed record StudentNameBody(string? Name);

/// <summary>/api/instructor/students: the class list, and the instructor's say over names (the dashboard's Students panel does the same).</summary>
public static class StudentsApi
{
    public static IEndpointRouteBuilder MapStudentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/instructor/students").RequireAuthorization(Access.Instructor);
        api.MapGet("", async (StudentRegistry students) => Results.Ok(await students.ListAsync()));
        // Each change reaches the class pulse too (its names, and a merged or removed student's records).
        api.MapPut("{id}/name", async (string id, StudentNameBody body, StudentRegistry students, ClassPulse pulse) =>
            Answer(await students.RenameAsync(id, body.Name), "Not renamed", pulse));
        api.MapDelete("{id}", async (string id, StudentRegistry students, ClassPulse pulse) =>
        {
            var removed = await students.RemoveAsync(id);
            pulse.Invalidate();
            return removed ? Results.NoContent() : Results.Problem(statusCode: 404, title: "No such student");
        });
        api.MapPost("{id}/merge-into/{intoId}", async (string id, string intoId, StudentRegistry students, ClassPulse pulse) =>
            Answer(await students.MergeAsync(id, intoId), "Not merged", pulse));
        return app;
    }

    private static IResult Answer(string? problem, string title, ClassPulse pulse)
    {
        pulse.Invalidate();
        return problem is null ? Results.NoContent() : Results.Problem(statusCode: 400, title: title, detail: problem);
    }
}
