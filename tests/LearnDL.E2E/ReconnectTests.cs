using System.Text.Json;
using LearnDL.Testing;
using Microsoft.Playwright;

namespace LearnDL.E2E;

/// <summary>
/// A student's page when the server goes away and comes back (wwwroot/js/reconnection.js): it returns by
/// itself, to the same lesson with the same name and answers, however long the outage lasted.
/// </summary>
[Collection(AppCollection.Name)]
public class ReconnectTests(AppServer shared)
{
    private const string Lesson = "/lessons/one-training-step";
    /// <summary>Blazor's own reconnection gives up after this many tries (Web.JS CircuitStartOptions.ts, maxRetries).</summary>
    private const int BlazorsMaxRetries = 30;

    [Fact]
    public async Task ServerDownLongerThanBlazorKeepsTrying_StudentsPagesComeBackByThemselves_ToTheSameLessonNameAndAnswer()
    {
        // The policy's time scale, shortened through its own settings: waits of 0.05 to 0.4 s instead of 0.5 to 15 s.
        await using var school = await School.StartAsync(shared, new() { ["Reconnect:FirstRetrySeconds"] = "0.1", ["Reconnect:MaxRetrySeconds"] = "0.4" });
        var ada = await school.JoinAsync("Ada Lovelace");
        var grace = await school.JoinAsync("Grace Hopper");
        await AnswerRightAsync(ada);

        await school.KillAsync();
        foreach (var page in new[] { ada, grace })
        {
            // Down for longer than Blazor's default would have kept trying: more tries than it makes before giving up.
            await page.WaitForFunctionAsync($"() => Number(document.getElementById('reconnect').dataset.attempts) > {BlazorsMaxRetries}", null, new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("#reconnect")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#reconnect-message")).ToHaveTextAsync("The server is restarting or out of reach. This page will come back by itself.");
            Assert.Equal(0, await page.Locator("#components-reconnect-modal").CountAsync()); // not Blazor's modal that ends in "reload the page"
        }
        await ada.AssertAccessibleAsync("a lesson while the server is down");
        await Assertions.Expect(ada.Locator("#reconnect-now")).ToBeFocusedAsync();
        await ada.Keyboard.PressAsync("Tab"); // a modal card: the page under it is out of reach
        await Assertions.Expect(ada.Locator("#reconnect-now")).ToBeFocusedAsync();
        await ada.ScreenshotAsync("reconnecting.png");
        // Jittered: pages that lost the server at the same moment wait differently, so they do not return in one burst.
        Assert.NotEqual(await DelaysAsync(ada), await DelaysAsync(grace));

        var reloads = new[] { ReloadOf(ada), ReloadOf(grace) };
        await school.StartAgainAsync();
        await Task.WhenAll(reloads).WaitAsync(TimeSpan.FromSeconds(60));
        await AssertBackAsync(ada, "Ada Lovelace", answered: true);
        await AssertBackAsync(grace, "Grace Hopper", answered: false);
    }

    [Fact]
    public async Task ServerRestartedQuickly_ThePageFindsItsConnectionGone_AndReloadsItself_WithTheShippedSettings()
    {
        await using var school = await School.StartAsync(shared, new());
        var ada = await school.JoinAsync("Ada Lovelace");
        await AnswerRightAsync(ada);

        await school.KillAsync();
        await Assertions.Expect(ada.Locator("#reconnect")).ToBeVisibleAsync();
        var reload = ReloadOf(ada);
        await school.StartAgainAsync();
        // The server answers, but the page's circuit died with the old process: no reconnecting to it, a reload.
        await reload.WaitAsync(TimeSpan.FromSeconds(60));
        await AssertBackAsync(ada, "Ada Lovelace", answered: true);
    }

    [Fact]
    public async Task DuringALongWait_TheNetworkComingBackOrTryNow_TriesAtOnce()
    {
        // Waits of 5 to 10 minutes: whatever makes a try within the test's minute is the event, not the timer.
        await using var school = await School.StartAsync(shared, new() { ["Reconnect:FirstRetrySeconds"] = "600", ["Reconnect:MaxRetrySeconds"] = "600" });
        var ada = await school.JoinAsync("Ada Lovelace");

        await school.KillAsync();
        var display = ada.Locator("#reconnect");
        await Assertions.Expect(display).ToHaveAttributeAsync("data-state", "waiting");
        await Assertions.Expect(ada.Locator("#reconnect-status")).ToContainTextAsync("Trying again in");
        Assert.Equal("0", await display.GetAttributeAsync("data-attempts"));
        // The network returns (the laptop's Wi-Fi): a try at once; the server is still down, so the page waits again.
        await ada.EvaluateAsync("() => window.dispatchEvent(new Event('online'))");
        await Assertions.Expect(display).ToHaveAttributeAsync("data-attempts", "1");
        await Assertions.Expect(display).ToHaveAttributeAsync("data-state", "waiting");

        var reload = ReloadOf(ada);
        await school.StartAgainAsync();
        await ada.Locator("#reconnect-now").ClickAsync();
        await reload.WaitAsync(TimeSpan.FromSeconds(60));
        await AssertBackAsync(ada, "Ada Lovelace", answered: false);
    }

    [Fact]
    public async Task RetrySchedule_DoublesToItsCeiling_IsJittered_AndNeverGivesUp()
    {
        var page = await shared.NewPageAsync();
        await page.GotoAsync(shared.BaseUrl + "/");
        var schedule = await page.EvaluateAsync<JsonElement>("""
            async () => {
                const { retryDelayMs } = await import('/js/reconnection.js');
                const policy = { firstRetryMs: 1000, maxRetryMs: 15000 };
                const tries = [...Array(10).keys()];
                return {
                    shortest: tries.map(a => retryDelayMs(a, policy, () => 0)),
                    longest: tries.map(a => retryDelayMs(a, policy, () => 0.999999)),
                    // A day of tries, a million tries: still a wait, never "stop".
                    late: [100, 5760, 1e6, 1e9].map(a => retryDelayMs(a, policy)),
                    // 300 pages at the ceiling: their waits spread over the range.
                    class: Array.from({ length: 300 }, () => retryDelayMs(20, policy)),
                };
            }
            """);
        int[] Of(string name) => [.. schedule.GetProperty(name).EnumerateArray().Select(e => e.GetInt32())];
        Assert.Equal(new[] { 500, 1000, 2000, 4000, 7500, 7500, 7500, 7500, 7500, 7500 }, Of("shortest"));
        Assert.Equal(new[] { 1000, 2000, 4000, 8000, 15000, 15000, 15000, 15000, 15000, 15000 }, Of("longest"));
        Assert.All(Of("late"), wait => Assert.InRange(wait, 7500, 15000));
        var waits = Of("class");
        Assert.All(waits, wait => Assert.InRange(wait, 7500, 15000));
        Assert.True(waits.Distinct().Count() > 250, $"300 pages drew only {waits.Distinct().Count()} different waits");
        // No second of the range takes more than a small share of the class (about 40 expected in each).
        Assert.True(waits.GroupBy(w => w / 1000).Max(g => g.Count()) < 80, "the waits bunch up: " + string.Join(",", waits.Order()));
    }

    private static async Task AnswerRightAsync(IPage page)
    {
        var question = page.Locator("[data-question=backward]");
        await question.Locator("[data-testid=check-answer]").Nth(0).ClickAsync();
        await Assertions.Expect(question.Locator("[data-testid=check-explanation]")).ToHaveAttributeAsync("data-correct", "yes");
    }

    /// <summary>Completes when the page loads a new document: its reload. Subscribed before the server returns, so it is not missed.</summary>
    private static Task ReloadOf(IPage page)
    {
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.Load += (_, _) => reloaded.TrySetResult();
        return reloaded.Task;
    }

    private static async Task AssertBackAsync(IPage page, string name, bool answered)
    {
        await page.WaitForCircuitAsync();
        Assert.EndsWith(Lesson, new Uri(page.Url).AbsolutePath);
        await Assertions.Expect(page.Locator("#who-am-i")).ToContainTextAsync(name);
        await Assertions.Expect(page.Locator("#reconnect")).ToBeHiddenAsync();
        var explanation = page.Locator("[data-question=backward] [data-testid=check-explanation]");
        if (answered) await Assertions.Expect(explanation).ToHaveAttributeAsync("data-correct", "yes");
        else await Assertions.Expect(explanation).ToHaveCountAsync(0);
    }

    private static async Task<string> DelaysAsync(IPage page) => await page.Locator("#reconnect").GetAttributeAsync("data-delays-ms") ?? "";

    /// <summary>A class app of its own, killed and started again on the same port and data folder, as its pages expect.</summary>
    private sealed class School : IAsyncDisposable
    {
        private readonly AppServer _shared;
        private readonly Dictionary<string, string> _settings;
        private readonly string _data = Directory.CreateTempSubdirectory("learndl-reconnect-").FullName;
        private readonly List<IBrowserContext> _contexts = [];
        private AppProcess? _app;
        private int _port;

        private School(AppServer shared, Dictionary<string, string> settings) => (_shared, _settings) = (shared, settings);

        public static async Task<School> StartAsync(AppServer shared, Dictionary<string, string> reconnect)
        {
            var school = new School(shared, new(reconnect)
            {
                ["Class:InstructorPassphrase"] = ClassAppServer.Passphrase,
                ["Class:MinSecondsBetweenAnswers"] = "0",
                ["Class:MinSecondsAfterOpening"] = "0",
            });
            await school.StartAgainAsync();
            return school;
        }

        /// <summary>A student joins in class mode from the lesson's address and lands on the lesson, live.</summary>
        public async Task<IPage> JoinAsync(string name)
        {
            var context = await _shared.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
            _contexts.Add(context);
            var page = await context.NewPageAsync();
            page.SetDefaultTimeout(30_000);
            await page.GotoAsync(_app!.BaseUrl + Lesson);
            Assert.Contains("/join?returnUrl=", page.Url);
            await page.Locator("#name").FillAsync(name);
            await page.Locator("#join").ClickAsync();
            await page.WaitForURLAsync("**" + Lesson, new() { WaitUntil = WaitUntilState.Commit });
            await page.WaitForCircuitAsync();
            await Assertions.Expect(page.Locator("#who-am-i")).ToContainTextAsync(name);
            return page;
        }

        /// <summary>Like a power cut: no graceful stop.</summary>
        public async Task KillAsync()
        {
            await _app!.DisposeAsync();
            _app = null;
        }

        public async Task StartAgainAsync()
        {
            _app = await AppProcess.StartAsync(AppContext.BaseDirectory, _settings, _data, port: _port == 0 ? null : _port);
            _port = _app.Port;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var context in _contexts) await context.CloseAsync();
            if (_app is not null) await _app.DisposeAsync();
            try { Directory.Delete(_data, true); } catch (IOException) { }
        }
    }
}
