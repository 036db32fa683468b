using System.Globalization;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;

namespace LearnDL.Web.Features.Instructor;

/// <summary>
/// Which answers came faster than a person answers, so that the class pulse keeps them out of its figures
/// and shows them to the instructor as flagged instead of averaging them in. The rule, for each student,
/// in the order things happened (two timings anyone can check against the records):
/// <list type="number">
/// <item>An answer less than <see cref="ClassOptions.MinSecondsAfterOpening"/> (3 s) after the student last
/// opened that lesson is flagged: the check questions sit under the lesson's text, so a reader scrolls and
/// reads first. A script that opens a lesson and answers at once trips this.</item>
/// <item>Two answers of one student less than <see cref="ClassOptions.MinSecondsBetweenAnswers"/> (2 s) apart,
/// whatever the questions, are both flagged: nobody reads a question, or the explanation of a wrong
/// answer, and chooses again that fast. The review's burst (wrong, then right 4 ms later, question after
/// question) trips this. The same answer to the same question chosen again (a double click) is not a new
/// try and flags nothing.</item>
/// <item>Every answer of a name made in a burst of names from one network (<see cref="StudentRegistry.Bursts"/>: 8 or
/// more within 2 s, which no class typing at a keyboard does) is flagged: a script that made the names and answers
/// patiently under each of them still moves no figure. The answers carry no address; the names do.</item>
/// </list>
/// A question with a flagged answer counts for nothing of that student (not answered, no first try, not towards
/// finishing the lesson).
/// </summary>
public sealed class AnswerScreen(double minSecondsBetweenAnswers, double minSecondsAfterOpening)
{
    public static AnswerScreen From(ClassOptions options) => new(options.MinSecondsBetweenAnswers, options.MinSecondsAfterOpening);

    public string TooSoonAfterOpening => $"less than {Seconds(minSecondsAfterOpening)} s after opening the lesson";

    public string TooCloseToAnother => $"less than {Seconds(minSecondsBetweenAnswers)} s after another answer";

    public static string NameInBurst(int names) =>
        $"name made with {names - 1} others from one network within {Seconds(StudentRegistry.BurstWindow.TotalSeconds)} s";

    /// <summary>
    /// The flagged answers among <paramref name="events"/> (in the order they happened), each with why;
    /// <paramref name="burstNames"/>: the students whose names came in a burst, with how many names it had.
    /// </summary>
    public IReadOnlyDictionary<LearningEventRecord, string> Flag(IEnumerable<LearningEventRecord> events, IReadOnlyDictionary<string, int?>? burstNames = null)
    {
        var flags = new Dictionary<LearningEventRecord, string>(ReferenceEqualityComparer.Instance);
        var between = TimeSpan.FromSeconds(minSecondsBetweenAnswers);
        var afterOpening = TimeSpan.FromSeconds(minSecondsAfterOpening);
        foreach (var student in events.GroupBy(e => e.StudentId))
        {
            var opened = new Dictionary<string, DateTimeOffset>(); // lesson -> when last opened
            LearningEventRecord? previous = null;
            var burst = burstNames?.GetValueOrDefault(student.Key);
            foreach (var e in student)
            {
                if (e.Kind == LearningEventKind.Opened) opened[e.Lesson] = e.At;
                if (e.Kind != LearningEventKind.Answered) continue;
                if (burst is { } names) flags.TryAdd(e, NameInBurst(names));
                if (afterOpening > TimeSpan.Zero && opened.TryGetValue(e.Lesson, out var at) && e.At - at < afterOpening)
                    flags.TryAdd(e, TooSoonAfterOpening);
                var again = previous is not null && previous.Lesson == e.Lesson && previous.Question == e.Question && previous.Answer == e.Answer;
                if (between > TimeSpan.Zero && previous is not null && !again && e.At - previous.At < between)
                {
                    flags.TryAdd(previous, TooCloseToAnother);
                    flags.TryAdd(e, TooCloseToAnother);
                }
                previous = e;
            }
        }
        return flags;
    }

    private static string Seconds(double s) => s.ToString("0.#", CultureInfo.InvariantCulture);
}
