using System.Security.Cryptography;
using Microsoft.AspNetCore.Components.Server.ProtectedBrowserStorage;

namespace LearnDL.Web.Features.Lessons;

/// <summary>What a reader has done in the course: lessons opened, and the answer chosen to each check question.</summary>
public sealed record ProgressState(IReadOnlySet<string> Read, IReadOnlyDictionary<string, int> Answers)
{
    public static readonly ProgressState Empty = new(new HashSet<string>(), new Dictionary<string, int>());

    public bool HasRead(Lesson lesson) => Read.Contains(lesson.Slug);

    public int? AnswerTo(Lesson lesson, CheckQuestion question) =>
        Answers.TryGetValue(LessonCatalog.QuestionKey(lesson.Slug, question.Id), out var a) ? a : null;

    /// <summary>Questions of a lesson answered, answered right, and in all.</summary>
    public (int Answered, int Right, int Total) Checks(Lesson lesson)
    {
        var questions = lesson.Questions.ToList();
        var answers = questions.Select(q => (q, a: AnswerTo(lesson, q))).Where(p => p.a is { } i && i < p.q.Answers.Count).ToList();
        return (answers.Count, answers.Count(p => p.q.Answers[p.a!.Value].Correct), questions.Count);
    }
}

/// <summary>Where progress is kept: the reader's own browser (personal mode), or the database (a student in class mode).</summary>
public interface IProgressStore
{
    Task<ProgressState> LoadAsync();
    Task SaveAsync(ProgressState state);
}

/// <summary>Progress in the reader's browser, encrypted by the server (no account needed). Only usable after the first render.</summary>
public sealed class BrowserProgressStore(ProtectedLocalStorage storage) : IProgressStore
{
    private const string Key = "learndl.progress";

    private sealed record Stored(string[] Read, Dictionary<string, int> Answers);

    public async Task<ProgressState> LoadAsync()
    {
        try
        {
            var stored = await storage.GetAsync<Stored>(Key);
            return stored.Success && stored.Value is { } s ? new(s.Read.ToHashSet(), s.Answers) : ProgressState.Empty;
        }
        catch (CryptographicException) { return ProgressState.Empty; } // written under another server's keys: start afresh
    }

    public Task SaveAsync(ProgressState state) =>
        storage.SetAsync(Key, new Stored([.. state.Read], new Dictionary<string, int>(state.Answers))).AsTask();
}

/// <summary>
/// What a teacher may see of a reader's work, as it happens (class mode: the instructor's class pulse).
/// Personal mode has no teacher and registers none. Throws <see cref="LearnDL.Web.Identity.NotInClassException"/>
/// for a student no longer in the class: <see cref="LessonProgress"/> reports before it saves, so they save nothing either.
/// </summary>
public interface ILessonActivity
{
    Task OpenedAsync(Lesson lesson);
    /// <summary>False when the answer is not kept: the reader never opened the lesson.</summary>
    Task<bool> AnsweredAsync(Lesson lesson, CheckQuestion question, CheckOutcome outcome);
}

/// <summary>The activity of the owner <paramref name="owner"/> finds (a circuit's, or an API call's).</summary>
public delegate ILessonActivity LessonActivityFor(Func<Task<LearnDL.Web.Identity.RunOwner?>> owner);

/// <summary>
/// The reader's progress through the course, for this circuit: marks lessons read, grades and records
/// answers, and tells the components that show progress (the lessons page, the navigation) when it changes.
/// </summary>
public sealed class LessonProgress(IProgressStore store, ILessonActivity? activity = null)
{
    private ProgressState? _state;
    // The lessons this circuit opened, while the opening is being written: an answer waits for it (a click can arrive meanwhile).
    private readonly Dictionary<string, Task> _opening = [];

    public event Action? Changed;

    public async Task<ProgressState> GetAsync() => _state ??= await store.LoadAsync();

    public async Task MarkReadAsync(Lesson lesson)
    {
        var state = await GetAsync();
        if (state.HasRead(lesson)) return;
        await SaveAsync(state with { Read = new HashSet<string>(state.Read) { lesson.Slug } });
    }

    /// <summary>
    /// The reader opened the lesson's page (once per visit): the class pulse hears of it, and it is read. The pulse first:
    /// it refuses a student no longer in the class (<see cref="ILessonActivity"/>), and then nothing is saved.
    /// </summary>
    public Task OpenedAsync(Lesson lesson) => _opening[lesson.Slug] = OpenAsync(lesson);

    private async Task OpenAsync(Lesson lesson)
    {
        if (activity is not null) await activity.OpenedAsync(lesson);
        await MarkReadAsync(lesson);
    }

    /// <summary>Grades the answer, remembers it (unless it is not kept: see <see cref="TryAnswerAsync"/>), and returns what to show the reader.</summary>
    public async Task<CheckOutcome> AnswerAsync(Lesson lesson, CheckQuestion question, int answer) =>
        await TryAnswerAsync(lesson, question, answer) ?? question.Grade(answer);

    /// <summary>Grades the answer and remembers it; null, with nothing kept, when the reader never opened the lesson (class mode).</summary>
    public async Task<CheckOutcome?> TryAnswerAsync(Lesson lesson, CheckQuestion question, int answer)
    {
        var outcome = question.Grade(answer);
        if (_opening.TryGetValue(lesson.Slug, out var opening)) await opening;
        if (activity is not null && !await activity.AnsweredAsync(lesson, question, outcome)) return null;
        var state = await GetAsync();
        var answers = new Dictionary<string, int>(state.Answers) { [LessonCatalog.QuestionKey(lesson.Slug, question.Id)] = answer };
        await SaveAsync(state with { Answers = answers });
        return outcome;
    }

    private async Task SaveAsync(ProgressState state)
    {
        _state = state;
        await store.SaveAsync(state);
        Changed?.Invoke();
    }
}
