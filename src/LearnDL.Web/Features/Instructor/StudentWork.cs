using System.Globalization;
using System.Text;
using LearnDL.Web.Data;
using LearnDL.Web.Features.Lessons;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Features.Instructor;

/// <summary>A check question as one student answered it; <paramref name="Flagged"/> says why the pulse does not count it, if it does not.</summary>
public sealed record StudentAnswer(string Lesson, string LessonTitle, string Question, string QuestionText, string? FirstAnswer, bool FirstTryCorrect,
    int Tries, DateTimeOffset FirstAt, DateTimeOffset? RightAt, string? Flagged = null);

/// <summary>A lesson as one student went through it.</summary>
public sealed record StudentLesson(string Slug, string Title, DateTimeOffset OpenedAt, DateTimeOffset? FinishedAt);

/// <summary>A run one student was on.</summary>
public sealed record StudentRun(Guid Id, string Dataset, int Images, int Epochs, string Device, RunStatus Status, DateTimeOffset CreatedAt, string? Error);

/// <summary>What one student did: lessons, answers (first try, tries, when) and runs; what the instructor opens from the pulse.</summary>
public sealed record StudentWorkView(string Id, string Name, IReadOnlyList<StudentLesson> Lessons, IReadOnlyList<StudentAnswer> Answers, IReadOnlyList<StudentRun> Runs);

/// <summary>One student's work, and every student's first tries as CSV, from the same records as the class pulse.</summary>
public sealed class StudentWork(IDbContextFactory<LearnDbContext> factory, LessonCatalog catalog, ClassStateStore state, IOptions<LearnDLOptions> options)
{
    private AnswerScreen Screen => AnswerScreen.From(options.Value.Class);

    public async Task<StudentWorkView?> FindAsync(string studentId)
    {
        var data = await PulseData.LoadAsync(factory, state.Current.RecordsClearedAt, Screen, studentId);
        if (data.Students.Count == 0) return null;
        var lessons = catalog.All.ToDictionary(l => l.Slug);
        var opened = data.Events.Where(e => e.Kind == LearningEventKind.Opened).GroupBy(e => e.Lesson)
            .Select(g => new StudentLesson(g.Key, lessons.TryGetValue(g.Key, out var l) ? l.Title : g.Key, g.Min(e => e.At),
                data.Events.Where(e => e.Kind == LearningEventKind.Finished && e.Lesson == g.Key).Select(e => (DateTimeOffset?)e.At).Min()))
            .OrderBy(l => l.OpenedAt).ToList();
        var answers = data.FirstTries().Select(f =>
        {
            var question = lessons.GetValueOrDefault(f.Lesson)?.Questions.FirstOrDefault(q => q.Id == f.Question);
            var chosen = question is not null && f.Answer is { } a && a >= 0 && a < question.Answers.Count ? question.Answers[a].Text : null;
            return new StudentAnswer(f.Lesson, lessons.GetValueOrDefault(f.Lesson)?.Title ?? f.Lesson, f.Question, question?.Text ?? f.Question, chosen,
                f.Correct == true, f.Tries, f.At, f.RightAt, f.Flagged);
        }).OrderBy(a => a.FirstAt).ToList();
        await using var db = await factory.CreateDbContextAsync();
        var runIds = data.Runs.Select(r => r.Id).ToList();
        var runs = await db.Runs.AsNoTracking().Where(r => runIds.Contains(r.Id))
            .Select(r => new StudentRun(r.Id, r.Dataset, r.Images, r.Epochs, r.Device ?? r.DeviceRequested, r.Status, r.CreatedAt, r.Error)).ToListAsync();
        var student = data.Students[0];
        return new(student.Id, student.Name, opened, answers, [.. runs.OrderByDescending(r => r.CreatedAt)]);
    }

    /// <summary>
    /// One row per student, one column per check question (lesson/question, in course order): "right" or
    /// "wrong" at the first try, "flagged" when the pulse does not count it (answered faster than a person answers),
    /// empty when not answered. Names are defused as in the results' CSV.
    /// </summary>
    public async Task<string> FirstTriesCsvAsync()
    {
        var data = await PulseData.LoadAsync(factory, state.Current.RecordsClearedAt, Screen);
        var questions = catalog.All.SelectMany(l => l.Questions.Select(q => LessonCatalog.QuestionKey(l.Slug, q.Id))).ToList();
        var firsts = data.FirstTries().ToDictionary(f => (f.StudentId, LessonCatalog.QuestionKey(f.Lesson, f.Question)),
            f => f.Flagged is not null ? "flagged" : f.Correct == true ? "right" : "wrong");
        var csv = new StringBuilder();
        csv.AppendJoin(',', ["student", "answered", "first_try_right", .. questions.Select(ClassResults.Cell)]).Append("\r\n");
        foreach (var s in data.Students.OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase))
        {
            var cells = questions.Select(q => firsts.GetValueOrDefault((s.Id, q), "")).ToList();
            csv.AppendJoin(',', [ClassResults.Cell(s.Name), cells.Count(c => c is "right" or "wrong").ToString(CultureInfo.InvariantCulture),
                cells.Count(c => c == "right").ToString(CultureInfo.InvariantCulture), .. cells]).Append("\r\n");
        }
        return csv.ToString();
    }
}
