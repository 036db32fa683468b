using LearnDL.Web.Data;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Identity;
using LearnDL.Web.Identity.Lti;

namespace LearnDL.Web.Features.Instructor;

/// <summary>
/// What a student does in the lessons, handed to the class pulse; nothing for the instructor or a personal-mode learner.
/// A student no longer in the class's register (a tab left open after the instructor removed them) records nothing:
/// <see cref="NotInClassException"/>, before their progress is saved (<see cref="LessonProgress"/> reports first).
/// </summary>
public sealed class ClassActivity(ClassPulse pulse, StudentRegistry students, Func<Task<RunOwner?>> owner, GradeLinks? grades = null) : ILessonActivity
{
    public async Task OpenedAsync(Lesson lesson)
    {
        if (await owner() is { Role: OwnerRole.Student } student)
            await pulse.RecordAsync((await students.InClassAsync(student)).Id, LearningEventKind.Opened, lesson);
    }

    public async Task<bool> AnsweredAsync(Lesson lesson, CheckQuestion question, CheckOutcome outcome)
    {
        if (await owner() is not { Role: OwnerRole.Student } student) return true;
        var id = (await students.InClassAsync(student)).Id;
        if (!await pulse.RecordAsync(id, LearningEventKind.Answered, lesson, question, outcome)) return false;
        grades?.Changed(id, lesson.Slug); // the LMS's gradebook hears of it later, off this page (Identity/Lti/GradeLinks.cs)
        return true;
    }
}
