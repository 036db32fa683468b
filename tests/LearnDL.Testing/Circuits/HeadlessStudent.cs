using System.Net;
using System.Text.RegularExpressions;

namespace LearnDL.Testing.Circuits;

/// <summary>One click of a student and how long its answer took to render.</summary>
public sealed record TimedClick(string What, double Milliseconds);

/// <summary>
/// A student of a class in a headless tab: joins through /join with a cookie of their own, then works
/// through the lessons on a live circuit. Each step is a click timed to the render batch that answers it.
/// </summary>
public sealed partial class HeadlessStudent : IAsyncDisposable
{
    private readonly CookieContainer _cookies = new();
    private readonly HttpClient _http;
    private readonly Random _random;

    public HeadlessStudent(string baseUrl, string name, int seed)
    {
        Name = name;
        _random = new Random(seed);
        _http = new HttpClient(new SocketsHttpHandler { CookieContainer = _cookies, UseCookies = true, AllowAutoRedirect = true })
        {
            BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(120),
        };
        Tab = new HeadlessCircuit(_http, _cookies, new Random(seed * 7919 + 1));
    }

    public string Name { get; }
    public HeadlessCircuit Tab { get; }
    public List<TimedClick> Clicks { get; } = [];
    /// <summary>The run the Try-it showed (its page's address), once watched.</summary>
    public string? RunHref { get; private set; }
    /// <summary>How long the student takes between clicks (reading, thinking); none in tests.</summary>
    public Func<Random, TimeSpan> Think { get; init; } = r => TimeSpan.FromSeconds(2 + 3 * r.NextDouble());
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Joins the class as a browser does: the form with its antiforgery token; the cookie comes back.</summary>
    public async Task JoinAsync()
    {
        var html = await _http.GetStringAsync("/join");
        var token = Token().Match(html).Groups[1].Value;
        using var joined = await _http.PostAsync("/account/join", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = Name, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
        }));
        joined.EnsureSuccessStatusCode();
    }

    /// <summary>Opens the start page in a new circuit: interactive, and showing who this student is.</summary>
    public async Task ArriveAsync()
    {
        await Tab.OpenAsync("/", StepTimeout);
        await Tab.WaitForAsync(ShowsMyName, StepTimeout);
    }

    /// <summary>True when the page shows this student's name (the app bar's "who am I").</summary>
    public bool ShowsMyName(HeadlessDom dom) => dom.ById("who-am-i")?.TextContent.Contains(Name, StringComparison.Ordinal) == true;

    /// <summary>Opens the lessons from the menu, then lesson 1, and answers its check questions, some wrong first.</summary>
    public async Task StudyFirstLessonAsync(string slug)
    {
        await PauseAsync();
        await ClickAsync("open the lessons", d => d.ByAttribute("href", "/lessons").First(),
            d => d.ById("lesson-progress") is not null);
        await PauseAsync();
        await ClickAsync("open lesson 1", d => d.ByAttribute("href", $"/lessons/{slug}").First(e => e.Name == "a"),
            d => d.ByTestId("check-question").Any() && d.ByTestId("try-it").Any());
        await AnswerQuestionsAsync();
    }

    /// <summary>Every check question of the open lesson: a random answer first, then the others in turn until one is right.</summary>
    public async Task AnswerQuestionsAsync()
    {
        var questions = Tab.Locked(d => d.ByTestId("check-question").Select(q => q["data-question"]!).ToList());
        foreach (var question in questions)
        {
            var count = Tab.Locked(d => Answers(d, question).Count);
            var first = _random.Next(count);
            for (var k = 0; k < count; k++)
            {
                var choice = (first + k) % count;
                await PauseAsync();
                await ClickAsync("answer a check question", d => Answers(d, question)[choice],
                    d => Answers(d, question)[choice]["aria-pressed"] == "true" && Explanation(d, question) is not null);
                if (Tab.Locked(d => Explanation(d, question)?["data-correct"]) == "yes") break;
            }
        }
    }

    /// <summary>Presses the lesson's Try-it (the class's shared run) and watches it to the end; returns how it ended.</summary>
    public async Task<string> WatchTryItAsync(TimeSpan timeout)
    {
        await ClickAsync("run the Try-it", d => TryItButton(d),
            d => d.ByTestId("try-it").First().Descendants().Any(e => e.Attributes.ContainsKey("data-status")));
        await Tab.WaitForAsync(d => RunStatus(d) is "Completed" or "Failed" or "Cancelled" or "Interrupted", timeout);
        RunHref = Tab.Locked(d => d.ByTestId("try-it").First().Descendants().FirstOrDefault(e => e.Name == "a" && e["href"]?.StartsWith("/runs/", StringComparison.Ordinal) == true)?["href"]);
        return Tab.Locked(RunStatus)!;
    }

    /// <summary>Goes on to the next lesson with the lesson's own button.</summary>
    public async Task NextLessonAsync(string slug)
    {
        await PauseAsync();
        await ClickAsync("open lesson 2", d => d.ById("next-lesson")!,
            d => d.ByTestId("check-question").Any() && Tab.Uri.EndsWith($"/lessons/{slug}", StringComparison.Ordinal)
                 && d.ByAttribute("aria-current", "page").Any(e => e.TextContent.StartsWith("Lesson 2", StringComparison.Ordinal)));
    }

    public static string? RunStatus(HeadlessDom dom) =>
        dom.ByTestId("try-it").FirstOrDefault()?.Descendants().FirstOrDefault(e => e.Attributes.ContainsKey("data-status"))?["data-status"];

    private static DomElement TryItButton(HeadlessDom dom) =>
        dom.ByTestId("try-it").First().Descendants().First(e => e.Name == "button" && e.Handlers.ContainsKey("click") && e.TextContent is var t && (t.Contains("Run it", StringComparison.Ordinal) || t.Contains("Run again", StringComparison.Ordinal)));

    private static List<DomElement> Answers(HeadlessDom dom, string question) =>
        dom.ByAttribute("data-question", question).First().Descendants().Where(e => e["data-testid"] == "check-answer").ToList();

    private static DomElement? Explanation(HeadlessDom dom, string question) =>
        dom.ByAttribute("data-question", question).FirstOrDefault()?.Descendants().FirstOrDefault(e => e["data-testid"] == "check-explanation");

    private async Task ClickAsync(string what, Func<HeadlessDom, DomElement> target, Func<HeadlessDom, bool> answered)
    {
        // The element must be there and live (its handler attached) before a person could click it.
        await Tab.WaitForAsync(d => Find(d, target) is { } e && (e.Handlers.Count > 0 || e.Name == "a"), StepTimeout);
        var element = Tab.Locked(target);
        var ms = await Tab.ClickAsync(element, answered, StepTimeout);
        lock (Clicks) Clicks.Add(new(what, ms));
    }

    private static DomElement? Find(HeadlessDom dom, Func<HeadlessDom, DomElement> target)
    {
        try { return target(dom); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException or NullReferenceException) { return null; }
    }

    private Task PauseAsync() => Task.Delay(Think(_random));

    public async ValueTask DisposeAsync()
    {
        await Tab.DisposeAsync();
        _http.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
