using System.Net;
using LearnDL.Testing;

namespace LearnDL.LoadTest;

public sealed record SameTryItResult(int Students, int Accepted, int Refused, int DistinctRuns, int Joined, int SawCompleted, double Seconds);

public sealed record DifferentRequestsResult(
    int Students, int RunsEach, int Accepted, int RefusedOverLimit, int OtherRefusals, int StoredCompleted,
    int OwnersInFirstStarts, bool EveryFirstBeforeAnyThird, double Seconds);

/// <summary>A class pressing buttons in the same minute: the same Try-it, then requests of their own.</summary>
public sealed class ClassRush(AppProcess app)
{
    /// <summary>Everyone presses the same Try-it within a second: nobody refused, one run, all see it finish.</summary>
    public async Task<SameTryItResult> SameTryItAsync(int students)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var class_ = (await Task.WhenAll(Enumerable.Range(0, students).Select(_ => new Student(app.BaseUrl).ArriveAsync()))).ToList();
        var random = new Random(5);
        var answers = await Task.WhenAll(class_.Select(async s =>
        {
            await Task.Delay(random.Next(1000));
            return await s.SubmitAsync(new { dataset = "builtin", images = 120, epochs = 2, device = "cpu", seed = 21, shared = true });
        }));
        var ids = answers.Where(a => a.Id is not null).Select(a => a.Id!.Value).ToList();
        var finals = await Task.WhenAll(class_.Zip(answers).Where(p => p.Second.Id is not null)
            .Select(p => p.First.WaitFinishedAsync(p.Second.Id!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5))));
        foreach (var s in class_) s.Dispose();
        return new(students, ids.Count, answers.Count(a => a.Id is null), ids.Distinct().Count(), answers.Count(a => a.Joined),
            finals.Count(f => f["status"]!.GetValue<string>() == "completed"), clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Every student sends runs of their own at once, the first one more than the per-person limit
    /// allows: exactly that one is refused with 429, owners take turns in the queue, and every run's
    /// end is stored.
    /// </summary>
    public async Task<DifferentRequestsResult> DifferentRequestsAsync(int students, int runsEach)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var class_ = (await Task.WhenAll(Enumerable.Range(0, students).Select(_ => new Student(app.BaseUrl).ArriveAsync()))).ToList();
        var answers = await Task.WhenAll(class_.SelectMany((s, i) => Enumerable.Range(0, runsEach + (i == 0 ? 1 : 0)).Select(async k =>
            (Student: i, Answer: await s.SubmitAsync(new { dataset = "builtin", images = 20, epochs = 1, device = "cpu", seed = 1000 + i * 10 + k })))));
        var accepted = answers.Where(a => a.Answer.Id is not null).ToList();
        var finals = await Task.WhenAll(accepted.Select(async a =>
            (a.Student, Run: await class_[a.Student].WaitFinishedAsync(a.Answer.Id!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(15)))));
        var started = finals.OrderBy(f => DateTimeOffset.Parse(f.Run["startedAt"]!.GetValue<string>())).Select(f => f.Student).ToList();
        // The first run starts alone on an empty queue while the others still arrive; from then on owners take turns.
        var kth = new List<int>();
        var seen = new Dictionary<int, int>();
        foreach (var s in started.Skip(1)) kth.Add(seen[s] = seen.GetValueOrDefault(s) + 1);
        var lastFirst = kth.Select((k, i) => (k, i)).Where(p => p.k == 1).Select(p => p.i).DefaultIfEmpty(-1).Max();
        var firstThird = kth.Select((k, i) => (k, i)).Where(p => p.k == 3).Select(p => p.i).DefaultIfEmpty(int.MaxValue).Min();
        foreach (var s in class_) s.Dispose();
        return new(students, runsEach, accepted.Count,
            answers.Count(a => a.Answer.Status == HttpStatusCode.TooManyRequests),
            answers.Count(a => a.Answer.Id is null && a.Answer.Status != HttpStatusCode.TooManyRequests),
            finals.Count(f => f.Run["status"]!.GetValue<string>() == "completed"),
            started.Take(students).Distinct().Count(), lastFirst < firstThird, clock.Elapsed.TotalSeconds);
    }
}
