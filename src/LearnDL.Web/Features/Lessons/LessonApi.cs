using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Features.Lessons;

/// <summary>An answer to a check question, sent by a client other than the lesson's page (a script, the load test).</summary>
public sealed record AnswerBody(int Answer);

/// <summary>
/// /api/lessons: what a lesson's page does, for other clients: open a lesson, answer a check question.
/// A student's answer is kept with them and reaches the class pulse exactly as one chosen on the page;
/// anyone else (the instructor, a personal-mode learner, whose progress lives in their browser) is only graded.
/// </summary>
public static class LessonApi
{
    public static IEndpointRouteBuilder MapLessonApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/lessons").RequireAuthorization(Access.Joined);
        api.MapPost("{slug}/opened", async (string slug, HttpContext http, LessonCatalog catalog, IServiceProvider services) =>
        {
            if (catalog.Find(slug) is not { } lesson) return Results.Problem(statusCode: 404, title: "No such lesson");
            if (Progress(http, services) is not { } progress) return Results.Ok(new { kept = false });
            try { await progress.OpenedAsync(lesson); }
            catch (NotInClassException e) { return NotInClass(e); }
            return Results.Ok(new { kept = true });
        });
        api.MapPost("{slug}/questions/{id}/answers", async (string slug, string id, AnswerBody body, HttpContext http, LessonCatalog catalog, IServiceProvider services) =>
        {
            if (catalog.Find(slug) is not { } lesson || lesson.Questions.FirstOrDefault(q => q.Id == id) is not { } question)
                return Results.Problem(statusCode: 404, title: "No such question");
            if (body.Answer < 0 || body.Answer >= question.Answers.Count)
                return Results.Problem(statusCode: 400, title: "No such answer", detail: $"The question has {question.Answers.Count} answers, numbered from 0.");
            CheckOutcome outcome;
            try { outcome = Progress(http, services) is { } progress ? await progress.AnswerAsync(lesson, question, body.Answer) : question.Grade(body.Answer); }
            catch (NotInClassException e) { return NotInClass(e); }
            return Results.Ok(new { correct = outcome.Correct, explanation = outcome.Explanation, correctAnswer = outcome.CorrectAnswer });
        });
        return app;
    }

    private static IResult NotInClass(NotInClassException e) => Results.Problem(statusCode: 403, title: "Not in the class", detail: e.Message);

    /// <summary>A student's progress, kept in the database and told to the class pulse; null for everyone else.</summary>
    private static LessonProgress? Progress(HttpContext http, IServiceProvider services)
    {
        if (RunOwner.From(http.User) is not { Role: OwnerRole.Student } student) return null;
        var activity = services.GetRequiredService<LessonActivityFor>()(() => Task.FromResult<RunOwner?>(student));
        return new LessonProgress(new StudentProgressStore(services.GetRequiredService<IDbContextFactory<LearnDbContext>>(), student.Id), activity);
    }
}
