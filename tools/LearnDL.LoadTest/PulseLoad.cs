using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using LearnDL.Testing;
using LearnDL.Web.Features.Lessons;
using Microsoft.Playwright;

namespace LearnDL.LoadTest;

/// <summary>
/// One burst of a class answering: how many answers, how long it took, the server's CPU-seconds, and (with the
/// instructor's page open) how many times its pulse panel redrew and how long after the last answer it showed it.
/// </summary>
public sealed record PulseBurst(string Instructor, int Students, int Answers, int Refused, double Seconds, double ServerCpuSeconds,
    int PanelRedraws, double? PanelCaughtUpSeconds);

/// <summary>
/// The instructor's class pulse under a class answering at once, in class mode, on loopback: thirty students
/// (API clients, each with their own cookie, through the same grading and recording as the lesson's page)
/// open every lesson, then answer every check question as fast as the server takes them (the pulse's burst
/// flags turned off: here a burst is the load, not a cheat), first with no instructor page open, then
/// with /instructor open in Chromium, its panel live. The difference in the server's CPU-seconds is what the
/// live panel costs; its redraws show the coalescing (at most about one a second, whatever the answer rate).
/// </summary>
public sealed partial class PulseLoad(IBrowser browser, string appFolder)
{
    private const string Passphrase = "load-test-the-class";

    public async Task<IReadOnlyList<PulseBurst>> MeasureAsync(int students, Action<string> log)
    {
        await using var app = await AppProcess.StartAsync(appFolder, new Dictionary<string, string>
        {
            ["Class:InstructorPassphrase"] = Passphrase,
            // Every student of the test comes from 127.0.0.1, all at once.
            ["Class:NewNamesPerAddressAtOnce"] = "500",
            ["Class:NewNamesPerAddressPerHour"] = "500",
            // Answering as fast as the server takes them is what is measured here; the pulse would flag it as a script.
            ["Class:MinSecondsBetweenAnswers"] = "0",
            ["Class:MinSecondsAfterOpening"] = "0",
        });
        var questions = new LessonCatalog(Path.Combine(appFolder, "lessons")).All
            .SelectMany(l => l.Questions.Select(q => (Lesson: l.Slug, q.Id, Answers: q.Answers.Count))).ToList();
        log($"class-mode app on {app.BaseUrl} (pid {app.ProcessId}); {questions.Count} check questions");

        var bursts = new List<PulseBurst>();
        // The first burst pays for JIT and EF Core's first queries: measured, reported, not compared.
        log($"warm-up: {students} students answer every question, no instructor page open");
        bursts.Add(await BurstAsync(app, questions, students, "none (warm-up)", null, 1, log));
        log($"{students} other students answer every question, no instructor page open");
        bursts.Add(await BurstAsync(app, questions, students, "none", null, 2, log));

        var page = await (await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } })).NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/instructor/sign-in?returnUrl=%2Finstructor");
        await page.Locator("#passphrase").FillAsync(Passphrase);
        await page.Locator("#sign-in").ClickAsync();
        await page.WaitForURLAsync("**/instructor", new() { WaitUntil = WaitUntilState.Commit });
        await page.Locator("[data-interactive=yes]").WaitForAsync();
        await page.Locator("[data-testid=pulse-summary]").WaitForAsync();
        // Count the panel's redraws as the browser sees them: each new summary line is one.
        await page.EvaluateAsync("""
            () => {
              window.__pulseRedraws = 0;
              const summary = document.querySelector('[data-testid=pulse-summary]');
              new MutationObserver(() => window.__pulseRedraws++).observe(summary, { childList: true, characterData: true, subtree: true });
            }
            """);
        await Task.Delay(TimeSpan.FromSeconds(3)); // the page settles
        log($"{students} other students answer every question, /instructor open with its panel live");
        bursts.Add(await BurstAsync(app, questions, students, "/instructor open", page, 3, log));
        await page.Context.CloseAsync();
        return bursts;
    }

    private static async Task<PulseBurst> BurstAsync(AppProcess app, IReadOnlyList<(string Lesson, string Id, int Answers)> questions, int count,
        string instructor, IPage? page, int burst, Action<string> log)
    {
        var prefix = (char)('A' + burst - 1);
        var students = await Task.WhenAll(Enumerable.Range(1, count).Select(i => JoinAsync(app.BaseUrl, $"Student {prefix}{i}")));
        // An answer counts once its lesson was opened: each student opens every lesson first, outside the measure.
        await Task.WhenAll(students.Select(async s =>
        {
            foreach (var lesson in questions.Select(q => q.Lesson).Distinct())
            {
                using var opened = await s.Http.PostAsync($"/api/lessons/{lesson}/opened", null);
                opened.EnsureSuccessStatusCode();
            }
        }));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var redrawsBefore = page is null ? 0 : await page.EvaluateAsync<int>("() => window.__pulseRedraws");
        var cpu = app.CpuSeconds();
        var clock = Stopwatch.StartNew();
        var random = new Random(7);
        var choices = students.Select(_ => questions.Select(q => random.Next(q.Answers)).ToList()).ToList();
        var refused = 0;
        await Task.WhenAll(students.Select(async (s, i) =>
        {
            for (int k = 0; k < questions.Count; k++)
            {
                var q = questions[k];
                using var answer = await s.Http.PostAsJsonAsync($"/api/lessons/{q.Lesson}/questions/{q.Id}/answers", new { answer = choices[i][k] });
                if (answer.StatusCode != HttpStatusCode.OK) Interlocked.Increment(ref refused);
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        double? caughtUp = null;
        if (page is not null)
        {
            // The panel shows every first answer of every burst so far: each student answered each question once.
            var expected = $"{burst * count * questions.Count} first answers";
            await page.Locator("[data-testid=pulse-summary]").Filter(new() { HasText = expected }).WaitForAsync(new() { Timeout = 60_000 });
            caughtUp = clock.Elapsed.TotalSeconds - seconds;
        }
        var serverCpu = app.CpuSeconds() - cpu;
        var redraws = page is null ? 0 : await page.EvaluateAsync<int>("() => window.__pulseRedraws") - redrawsBefore;
        foreach (var s in students) s.Dispose();
        var result = new PulseBurst(instructor, count, count * questions.Count, refused, seconds, serverCpu, redraws, caughtUp);
        log(result.ToString());
        return result;
    }

    /// <summary>Joins the class as a browser does: the form with its antiforgery token, then the cookie.</summary>
    private static async Task<Student> JoinAsync(string baseUrl, string name)
    {
        var student = new Student(baseUrl);
        var html = await student.Http.GetStringAsync("/join");
        var token = Token().Match(html).Groups[1].Value;
        using var joined = await student.Http.PostAsync("/account/join", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name, ["returnUrl"] = "/lessons", ["__RequestVerificationToken"] = token,
        }));
        joined.EnsureSuccessStatusCode();
        using var check = await student.Http.GetAsync("/api/runs?pageSize=1");
        check.EnsureSuccessStatusCode(); // joined: the API answers (401 before)
        return student;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
