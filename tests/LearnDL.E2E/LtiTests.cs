using LearnDL.Testing;
using LearnDL.Testing.Lti;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LearnDL.E2E;

/// <summary>
/// A launch as a student meets it: the course page of an LMS (the test platform, on http://localhost) frames LearnDL
/// (on http://127.0.0.1: another site), in Chromium blocking third-party cookies. The launch goes through /lti/login, the
/// platform's authorization endpoint and /lti/launch inside the frame, the lesson opens, and a check question is answered
/// over the Blazor circuit: only partitioned cookies make that work.
/// </summary>
public sealed class LtiTests : IAsyncLifetime
{
    private TestPlatform _platform = null!;
    private AppProcess _app = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _platform = await TestPlatform.StartAsync();
        // The answer below comes at machine speed: the pulse's screen for scripts (and so the score) would not count it.
        _app = await AppProcess.StartAsync(AppContext.BaseDirectory, _platform.Settings(prefix: "")
            .Concat<(string Key, string Value)>([("Class:MinSecondsAfterOpening", "0"), ("Class:MinSecondsBetweenAnswers", "0")]).ToDictionary(s => s.Key, s => s.Value));
        // The platform checks the tool's signed token requests against the tool's published keys.
        _platform.ToolJwks = () => _http.GetStringAsync(_app.BaseUrl + "/lti/jwks");
        _playwright = await Playwright.CreateAsync();
        Assertions.SetDefaultExpectTimeout(15_000);
        // Chromium's switch for the third-party cookie phase-out: unpartitioned cookies of a framed site are blocked.
        _browser = await Chromium.LaunchAsync(_playwright, "--test-third-party-cookie-phaseout");
    }

    [Fact]
    public async Task A_student_launched_in_the_LMS_frame_with_third_party_cookies_blocked_answers_a_check_question()
    {
        Assert.NotEqual(new Uri(_platform.BaseUrl).Host, new Uri(_app.BaseUrl).Host); // two sites
        var target = _app.BaseUrl + "/lti/launch";
        var course = _platform.CoursePage(_app.BaseUrl, nonce =>
        {
            var claims = _platform.LaunchClaims(nonce, "e2e-student", target, TestPlatform.LearnerRole);
            claims["https://purl.imsglobal.org/spec/lti/claim/custom"] = new Dictionary<string, object> { ["learndl_lesson"] = "cpu-and-gpu" };
            return claims;
        });
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(course);
        var tool = page.FrameLocator("#tool");
        var question = tool.Locator("[data-testid=check-question]").First;
        var answer = question.Locator("[data-testid=check-answer]").First;
        // Enabled once the circuit is up inside the frame (its connection carries the partitioned sign-in cookie).
        await Expect(answer).ToBeEnabledAsync(new() { Timeout = 60_000 });
        await answer.ClickAsync();
        await Expect(question.Locator("[data-testid=check-explanation]")).ToBeVisibleAsync();
        await Expect(tool.Locator("body")).ToContainTextAsync("Ada Lovelace");
        Assert.StartsWith(_app.BaseUrl + "/lessons/cpu-and-gpu", page.Frames.Single(f => f != page.MainFrame).Url);

        // The score of the answered question reaches the link's column in the LMS (the first answer is the right one).
        for (var deadline = DateTime.UtcNow.AddSeconds(30); _platform.Scores.IsEmpty && DateTime.UtcNow < deadline;) await Task.Delay(50);
        var score = Assert.Single(_platform.Scores);
        Assert.Equal((_platform.LinkLineItemUrl, "e2e-student", 1.0, 3.0, "InProgress"), (score.LineItemId, score.UserId, score.ScoreGiven, score.ScoreMaximum, score.ActivityProgress));
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        if (_platform is not null) await _platform.DisposeAsync();
        _http.Dispose();
    }
}
