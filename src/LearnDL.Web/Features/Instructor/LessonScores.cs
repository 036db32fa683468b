using LearnDL.Web.Data;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Identity.Lti;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Features.Instructor;

/// <summary>
/// A student's score in a lesson, from the class pulse's records: check questions answered right at the first try, out
/// of the lesson's questions; completed once every question was answered right. Answers the pulse flags (faster than a
/// person answers: <see cref="AnswerScreen"/>) count for nothing here either.
/// It also tells LTI which lessons exist (<see cref="ILessons"/>): a launch opens the lesson its link names.
/// </summary>
public sealed class LessonScores(IDbContextFactory<LearnDbContext> factory, LessonCatalog catalog, ClassStateStore state, IOptions<LearnDLOptions> options)
    : ILessons
{
    public string? SlugOf(string lessonSlug) => catalog.Find(lessonSlug)?.Slug;

    public string? TitleOf(string lessonSlug) => catalog.Find(lessonSlug)?.Title;

    public async Task<LessonScore?> ForAsync(string studentId, string lessonSlug)
    {
        if (catalog.Find(lessonSlug) is not { } lesson) return null;
        var questions = lesson.Questions.Select(q => q.Id).ToList();
        var data = await PulseData.LoadAsync(factory, state.Current.RecordsClearedAt, AnswerScreen.From(options.Value.Class), studentId);
        var counted = data.FirstTries().Where(f => f.StudentId == studentId && f.Lesson == lesson.Slug && f.Flagged is null && questions.Contains(f.Question)).ToList();
        var right = counted.Count(f => f.Correct == true);
        var completed = questions.Count > 0 && questions.All(q => counted.Any(f => f.Question == q && f.RightAt is not null));
        return new LessonScore(right, questions.Count, completed);
    }
}
