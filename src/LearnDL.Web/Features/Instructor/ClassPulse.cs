using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Live;
using LearnDL.Web.RunService;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Features.Instructor;

/// <summary>A lesson in the pulse: students who opened it, finished it (every check question answered right), and the median time between.</summary>
public sealed record PulseLesson(string Slug, string Title, int Opened, int Finished, double? MedianSeconds);

/// <summary>A check question in the pulse: how many answered, how many were right at the first try, and the wrong answer most chosen first.</summary>
public sealed record PulseQuestion(string Lesson, string Id, string Text, int Answered, int FirstTryCorrect, double? FirstTryCorrectShare,
    string? CommonWrongAnswer, int CommonWrongCount);

/// <summary>A student who may need help: why, the lesson they are on (slug and title), and since when.</summary>
public sealed record PulseStuck(string StudentId, string Student, string? Lesson, string? LessonTitle, string Reason, DateTimeOffset Since);

/// <summary>A student whose answers came faster than a person answers (see <see cref="AnswerScreen"/>): how many, why, since when. Kept out of the figures.</summary>
public sealed record PulseFlagged(string StudentId, string Student, int Answers, string Reason, DateTimeOffset Since);

/// <summary>The class's learning, as the instructor's panel and <c>GET /api/instructor/pulse</c> show it.</summary>
public sealed record ClassPulseView(IReadOnlyList<PulseLesson> Lessons, IReadOnlyList<PulseQuestion> Questions, IReadOnlyList<PulseStuck> Stuck,
    int Students, DateTimeOffset At, IReadOnlyList<PulseFlagged> Flagged)
{
    public static readonly ClassPulseView Empty = new([], [], [], 0, DateTimeOffset.MinValue, []);
}

/// <summary>
/// The class pulse: records what students do in the lessons (class mode), and turns it, with their runs,
/// into the picture a teacher acts on. Reading is cached: thirty students answering at once invalidate
/// it thirty times, and it is computed again only when a panel (or the API) next asks, at most once per
/// change, so the cost follows the panels' pace (about once a second), not the class's.
/// </summary>
public sealed class ClassPulse : IDisposable
{
    /// <summary>Flags that depend on the clock alone (no progress for N minutes) are this fresh at worst.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    private readonly IDbContextFactory<LearnDbContext> _factory;
    private readonly LessonCatalog _catalog;
    private readonly LiveUpdates _updates;
    private readonly ClassStateStore _state;
    private readonly IOptions<LearnDLOptions> _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _computing = new(1, 1);
    private readonly IDisposable _queueWatch;
    private long _version;
    private (long Version, ClassPulseView View)? _cached;

    public ClassPulse(IDbContextFactory<LearnDbContext> factory, LessonCatalog catalog, LiveUpdates updates, ClassStateStore state,
        IOptions<LearnDLOptions> options, TimeProvider time)
    {
        (_factory, _catalog, _updates, _state, _options, _time) = (factory, catalog, updates, state, options, time);
        // A run started, failed or cancelled changes the pulse too: the queue's topic says so, at most once a second.
        _queueWatch = updates.WatchQueue(() => { Invalidate(); return Task.CompletedTask; }, TimeSpan.FromSeconds(1));
    }

    /// <summary>How many times the pulse was computed: the load test's and the tests' measure of its cost.</summary>
    public int Computations { get; private set; }

    /// <summary>
    /// Keeps what a student did (class mode only), and tells the pulse's watchers. An answer to a lesson the
    /// student has not opened is not kept (false): the pulse counts answers of students who were shown the lesson.
    /// </summary>
    public async Task<bool> RecordAsync(string studentId, LearningEventKind kind, Lesson lesson, CheckQuestion? question = null, CheckOutcome? outcome = null)
    {
        if (!_options.Value.Class.IsOn) return true;
        var now = _time.GetUtcNow();
        await using var db = await _factory.CreateDbContextAsync();
        var record = new LearningEventRecord
        {
            StudentId = studentId, Kind = kind, Lesson = lesson.Slug, Question = question?.Id, Answer = outcome?.Chosen, Correct = outcome?.Correct, At = now,
        };
        if (kind == LearningEventKind.Answered)
        {
            var earlier = await db.LearningEvents.AsNoTracking().Where(e => e.StudentId == studentId).OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync();
            if (!earlier.Any(e => e.Lesson == lesson.Slug && e.Kind == LearningEventKind.Opened)) return false;
            db.LearningEvents.Add(record);
            if (outcome is { Correct: true } && !earlier.Any(e => e.Lesson == lesson.Slug && e.Kind == LearningEventKind.Finished)
                && Finishes(lesson, [.. earlier, record]))
                db.LearningEvents.Add(new LearningEventRecord { StudentId = studentId, Kind = LearningEventKind.Finished, Lesson = lesson.Slug, At = now });
        }
        else db.LearningEvents.Add(record);
        await db.SaveChangesAsync();
        Invalidate();
        return true;
    }

    /// <summary>
    /// A lesson is finished the first time every one of its check questions has been answered right, by answers
    /// the pulse counts (none of that question's answers flagged).
    /// </summary>
    private bool Finishes(Lesson lesson, IReadOnlyList<LearningEventRecord> events)
    {
        var flags = AnswerScreen.From(_options.Value.Class).Flag(events);
        var answers = events.Where(e => e.Kind == LearningEventKind.Answered && e.Lesson == lesson.Slug).ToList();
        var flagged = answers.Where(flags.ContainsKey).Select(e => e.Question).ToHashSet();
        var right = answers.Where(e => e.Correct == true && !flagged.Contains(e.Question)).Select(e => e.Question).ToHashSet();
        return lesson.Questions.All(q => right.Contains(q.Id));
    }

    /// <summary>Something changed: the next read computes the pulse again, and the panels hear of it (coalesced by the live updates).</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _version);
        _updates.ClassChanged();
    }

    /// <summary>The pulse as of now, computed again only after a change (or when older than <see cref="MaxAge"/>).</summary>
    public async Task<ClassPulseView> GetAsync()
    {
        await _computing.WaitAsync();
        try
        {
            var version = Interlocked.Read(ref _version);
            if (_cached is { } c && c.Version == version && _time.GetUtcNow() - c.View.At < MaxAge) return c.View;
            var view = await ComputeAsync();
            _cached = (version, view);
            Computations++;
            return view;
        }
        finally { _computing.Release(); }
    }

    /// <summary>Forgets every student's lesson records and progress (the end of a course); runs before now no longer count in the pulse.</summary>
    public async Task ClearAsync()
    {
        await using (var db = await _factory.CreateDbContextAsync())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await db.LearningEvents.ExecuteDeleteAsync();
            await db.Progress.ExecuteDeleteAsync();
            await transaction.CommitAsync();
        }
        await _state.SaveAsync(s => s.RecordsClearedAt = _time.GetUtcNow());
        Invalidate();
    }

    private async Task<ClassPulseView> ComputeAsync()
    {
        var now = _time.GetUtcNow();
        var data = await PulseData.LoadAsync(_factory, _state.Current.RecordsClearedAt, AnswerScreen.From(_options.Value.Class));
        var lessons = _catalog.All;
        var title = lessons.ToDictionary(l => l.Slug, l => l.Title);
        return new ClassPulseView(
            lessons.Select(l => LessonFigures(l, data)).ToList(),
            QuestionFigures(lessons, data),
            Stuck(data, title, now),
            data.Students.Count, now,
            Flagged(data));
    }

    /// <summary>Finished counts students who opened the lesson and none of whose answers in it were flagged.</summary>
    private static PulseLesson LessonFigures(Lesson lesson, PulseData data)
    {
        var events = data.Events.Where(e => e.Lesson == lesson.Slug).ToList();
        var opened = events.Where(e => e.Kind == LearningEventKind.Opened).GroupBy(e => e.StudentId).ToDictionary(g => g.Key, g => g.Min(e => e.At));
        var flagged = events.Where(data.Flags.ContainsKey).Select(e => e.StudentId).ToHashSet();
        var finished = events.Where(e => e.Kind == LearningEventKind.Finished && opened.ContainsKey(e.StudentId) && !flagged.Contains(e.StudentId))
            .GroupBy(e => e.StudentId).ToDictionary(g => g.Key, g => g.Min(e => e.At));
        var spent = finished.Select(f => (f.Value - opened[f.Key]).TotalSeconds).Where(s => s >= 0).ToList();
        return new(lesson.Slug, lesson.Title, opened.Count, finished.Count, spent.Count == 0 ? null : ClassResults.Median(spent));
    }

    /// <summary>Students with flagged answers, the earliest first: how many, and why in words ("less than 2 s after another answer (54)").</summary>
    private static List<PulseFlagged> Flagged(PulseData data)
    {
        var names = data.Students.ToDictionary(s => s.Id, s => s.Name);
        return [.. data.Flags.GroupBy(f => f.Key.StudentId).Where(g => names.ContainsKey(g.Key))
            .Select(g => new PulseFlagged(g.Key, names[g.Key], g.Count(),
                string.Join("; ", g.GroupBy(f => f.Value).OrderByDescending(r => r.Count()).Select(r => $"{r.Key} ({r.Count()})")),
                g.Min(f => f.Key.At)))
            .OrderBy(f => f.Since)];
    }

    /// <summary>Every check question, the hardest (lowest first-try share) first; questions nobody answered yet last, in course order.</summary>
    private static List<PulseQuestion> QuestionFigures(IReadOnlyList<Lesson> lessons, PulseData data)
    {
        var firstTries = data.FirstTries().Where(f => f.Flagged is null).ToList();
        return lessons.SelectMany(l => l.Questions.Select(q => (l, q))).Select(p =>
        {
            var firsts = firstTries.Where(f => f.Lesson == p.l.Slug && f.Question == p.q.Id).ToList();
            var right = firsts.Count(f => f.Correct == true);
            var wrong = firsts.Where(f => f.Correct != true && f.Answer is { } a && a < p.q.Answers.Count)
                .GroupBy(f => f.Answer!.Value).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).FirstOrDefault();
            return new PulseQuestion(p.l.Slug, p.q.Id, p.q.Text, firsts.Count, right, firsts.Count == 0 ? null : (double)right / firsts.Count,
                wrong is null ? null : p.q.Answers[wrong.Key].Text, wrong?.Count() ?? 0);
        })
        .Select((q, order) => (q, order))
        .OrderBy(p => p.q.FirstTryCorrectShare is null).ThenBy(p => p.q.FirstTryCorrectShare).ThenBy(p => p.order)
        .Select(p => p.q).ToList();
    }

    private List<PulseStuck> Stuck(PulseData data, IReadOnlyDictionary<string, string> titles, DateTimeOffset now)
    {
        var o = _options.Value.Class;
        var idle = TimeSpan.FromMinutes(o.StuckAfterMinutes);
        var lastActivity = data.Students.ToDictionary(s => s.Id, s => Max(s.CreatedAt,
            data.Events.Where(e => e.StudentId == s.Id).Select(e => (DateTimeOffset?)e.At).Max(),
            data.Runs.Where(r => r.StudentId == s.Id).Select(r => (DateTimeOffset?)r.At).Max()));
        var firstTries = data.FirstTries();
        var flagged = data.Flags.Keys.Select(e => e.StudentId).ToHashSet();
        var stuck = new List<PulseStuck>();
        // A student with flagged answers is listed under flagged instead: their answers say nothing of how they are doing.
        foreach (var student in data.Students.Where(s => !flagged.Contains(s.Id)))
        {
            var reasons = new List<(string Reason, DateTimeOffset Since)>();
            var last = lastActivity[student.Id];
            // Idle only counts while the class moves on: someone else did something within the window.
            if (now - last >= idle && lastActivity.Any(a => a.Key != student.Id && now - a.Value < idle))
                reasons.Add(($"no progress for {Quiet(now - last)} while the class moves on", last));

            var ended = data.Runs.Where(r => r.StudentId == student.Id && r.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled)
                .OrderBy(r => r.EndedAt).TakeLast(o.StuckAfterFailedRuns).ToList();
            if (ended.Count == o.StuckAfterFailedRuns && ended.All(r => r.Status != RunStatus.Completed))
                reasons.Add(($"{ended.Count} runs in a row failed or cancelled", ended[0].EndedAt));

            var firsts = firstTries.Where(f => f.StudentId == student.Id).OrderBy(f => f.At).TakeLast(o.StuckAfterWrongFirstTries).ToList();
            if (firsts.Count == o.StuckAfterWrongFirstTries && firsts.All(f => f.Correct != true))
                reasons.Add(($"{firsts.Count} wrong first tries in a row", firsts[0].At));

            if (reasons.Count == 0) continue;
            var on = data.Events.Where(e => e.StudentId == student.Id).MaxBy(e => e.At)?.Lesson;
            stuck.Add(new(student.Id, student.Name, on, on is null ? null : titles.GetValueOrDefault(on, on),
                string.Join("; ", reasons.Select(r => r.Reason)), reasons.Min(r => r.Since)));
        }
        return [.. stuck.OrderBy(s => s.Since)];
    }

    private static string Quiet(TimeSpan t) => t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes} min" : $"{(int)t.TotalSeconds} s";

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset? b, DateTimeOffset? c) =>
        new[] { a, b ?? a, c ?? a }.Max();

    public void Dispose() => _queueWatch.Dispose();
}

/// <summary>
/// What the pulse is computed from, read in three queries: the students, their lesson records, and the runs they
/// were on; with the answers the <see cref="AnswerScreen"/> flagged (and why).
/// </summary>
internal sealed record PulseData(
    IReadOnlyList<PulseData.Student> Students, IReadOnlyList<LearningEventRecord> Events, IReadOnlyList<PulseData.Run> Runs,
    IReadOnlyDictionary<LearningEventRecord, string> Flags)
{
    public sealed record Student(string Id, string Name, DateTimeOffset CreatedAt);

    /// <summary>A run a student was on (started or joined), from when they were on it to how it ended.</summary>
    public sealed record Run(string StudentId, Guid Id, RunStatus Status, DateTimeOffset At, DateTimeOffset EndedAt);

    public static async Task<PulseData> LoadAsync(IDbContextFactory<LearnDbContext> factory, DateTimeOffset? clearedAt, AnswerScreen screen, string? studentId = null)
    {
        await using var db = await factory.CreateDbContextAsync();
        // The whole class in one read: a burst is a property of the class's names, whichever student is asked for.
        var everyone = await db.Students.AsNoTracking().Select(s => new { s.Id, s.DisplayName, s.CreatedAt, s.JoinedFrom }).ToListAsync();
        var students = everyone.Where(s => studentId == null || s.Id == studentId).Select(s => new Student(s.Id, s.DisplayName, s.CreatedAt)).ToList();
        var events = await db.LearningEvents.AsNoTracking().Where(e => studentId == null || e.StudentId == studentId).OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync();
        var ids = students.Select(s => s.Id).ToList();
        var since = clearedAt ?? DateTimeOffset.MinValue;
        var runs = (await db.RunMembers.AsNoTracking().Where(m => ids.Contains(m.OwnerId))
                .Join(db.Runs.AsNoTracking(), m => m.RunId, r => r.Id, (m, r) => new { m.OwnerId, r.Id, r.Status, r.CreatedAt, r.FinishedAt, m.JoinedAt })
                .ToListAsync())
            .Where(r => r.CreatedAt >= since)
            .Select(r => new Run(r.OwnerId, r.Id, r.Status, r.JoinedAt > r.CreatedAt ? r.JoinedAt : r.CreatedAt, r.FinishedAt ?? r.CreatedAt)).ToList();
        var known = ids.ToHashSet();
        List<LearningEventRecord> kept = [.. events.Where(e => known.Contains(e.StudentId))];
        var bursts = StudentRegistry.Bursts(everyone.Where(s => s.JoinedFrom is not null).Select(s => (s.Id, s.JoinedFrom!, s.CreatedAt)));
        return new(students, kept, runs, screen.Flag(kept, bursts));
    }

    /// <summary>Each student's first answer to each question they answered, with how many tries in all, and why it is flagged if one of them was.</summary>
    public IReadOnlyList<FirstTry> FirstTries() => _firstTries ??= [.. Events.Where(e => e.Kind == LearningEventKind.Answered && e.Question is not null)
        .GroupBy(e => (e.StudentId, e.Lesson, e.Question))
        .Select(g =>
        {
            var first = g.First(); // ordered by time: as they happened (a merged student's too)
            return new FirstTry(g.Key.StudentId, g.Key.Lesson, g.Key.Question!, first.Answer, first.Correct, first.At, g.Count(),
                g.Where(e => e.Correct == true).Select(e => (DateTimeOffset?)e.At).FirstOrDefault(),
                g.Select(e => Flags.GetValueOrDefault(e)).FirstOrDefault(r => r is not null));
        })];

    private IReadOnlyList<FirstTry>? _firstTries;
}

/// <summary>
/// A student's first answer to one question: which, whether right, when, how many tries in all, when they got it right,
/// and why the pulse does not count it (one of the answers to it was flagged), if so.
/// </summary>
public sealed record FirstTry(string StudentId, string Lesson, string Question, int? Answer, bool? Correct, DateTimeOffset At, int Tries, DateTimeOffset? RightAt,
    string? Flagged = null);
