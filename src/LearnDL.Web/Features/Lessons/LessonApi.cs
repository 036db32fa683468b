using System.Text.Json;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Features.Lessons;

/// <summary>An answer to a check question, sent by a client other than the lesson's page (a script, the load test): <c>{"answer": 2}</c>.</summary>
public sealed record AnswerBody(int? Answer);

/// <summary>
/// /api/lessons: what a lesson's page does, for other clients: open a lesson, answer a check question.
/// A student's answer is kept with them and reaches the class pulse exactly as one chosen on the page;
/// anyone else (the instructor, a personal-mode learner, whose progress lives in their browser) is only graded.
/// A student's answer counts once they opened the lesson (here or on its page); before, it is refused (409).
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
        api.MapPost("{slug}/questions/{id}/answers", async (string slug, string id, HttpContext http, LessonCatalog catalog, IServiceProvider services) =>
        {
            if (catalog.Find(slug) is not { } lesson || lesson.Questions.FirstOrDefault(q => q.Id == id) is not { } question)
                return Results.Problem(statusCode: 404, title: "No such question");
            // The body is read here, not bound: "{}" would bind as answer 0, and a malformed body would answer 400 with no word of why.
            if (await AnswerInAsync(http.Request) is not { } answer || answer < 0 || answer >= question.Answers.Count)
                return Results.Problem(statusCode: 400, title: "No such answer",
                    detail: $"Say which answer you chose: send {{\"answer\": N}} as JSON, where N is 0 to {question.Answers.Count - 1} (the question's {question.Answers.Count} answers in order).");
            if (Progress(http, services) is not { } progress) return Graded(question.Grade(answer));
            CheckOutcome? outcome;
            try { outcome = await progress.TryAnswerAsync(lesson, question, answer); }
            catch (NotInClassException e) { return NotInClass(e); }
            return outcome is { } graded
                ? Graded(graded)
                : Results.Problem(statusCode: 409, title: "Open the lesson first",
                    detail: $"An answer counts once you have opened the lesson: open /lessons/{lesson.Slug} (or POST /api/lessons/{lesson.Slug}/opened), then answer.");
        });
        return app;
    }

    private static IResult Graded(CheckOutcome outcome) =>
        Results.Ok(new { correct = outcome.Correct, explanation = outcome.Explanation, correctAnswer = outcome.CorrectAnswer });

    /// <summary>The whole number the body names as <c>answer</c>; null for anything else ({}, no body, not JSON, 1.5).</summary>
    private static async Task<int?> AnswerInAsync(HttpRequest request)
    {
        if (!request.HasJsonContentType()) return null;
        try
        {
            var body = await request.ReadFromJsonAsync<AnswerBody>(request.HttpContext.RequestAborted);
            return body?.Answer;
        }
        catch (JsonException) { return null; }
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
