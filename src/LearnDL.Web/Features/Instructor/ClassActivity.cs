using LearnDL.Web.Data;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Identity;

namespace LearnDL.Web.Features.Instructor;

/// <summary>What a student does in the lessons, handed to the class pulse; nothing for the instructor or a personal-mode learner.</summary>
public sealed class ClassActivity(ClassPulse pulse, Func<Task<RunOwner?>> owner) : ILessonActivity
{
    public async Task OpenedAsync(Lesson lesson)
    {
        if (await owner() is { Role: OwnerRole.Student } student)
            await pulse.RecordAsync(student.Id, LearningEventKind.Opened, lesson);
    }

    public async Task<bool> AnsweredAsync(Lesson lesson, CheckQuestion question, CheckOutcome outcome) =>
        await owner() is not { Role: OwnerRole.Student } student
        || await pulse.RecordAsync(student.Id, LearningEventKind.Answered, lesson, question, outcome);
}
