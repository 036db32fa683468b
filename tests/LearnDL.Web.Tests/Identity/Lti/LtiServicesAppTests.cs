using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LearnDL.Testing.Lti;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using LearnDL.Web.Identity.Lti;
using LearnDL.Web.Tests.Class;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LearnDL.Web.Tests.Lti;

/// <summary>
/// The LTI services in the whole app against the test platform: scores reaching the gradebook as students answer
/// (with retries, no duplicate columns), the roster with who launched, and the deep linking picker's signed answer.
/// Every launch goes through /lti/login and /lti/launch as the LMS makes it.
/// </summary>
public sealed partial class LtiServicesAppTests : LtiAppTestBase
{

    [Fact]
    public async Task Score_ReachesTheLinksColumn_EachTimeItChanges_WithExactlyTheIssuesFields()
    {
        var (ada, landed) = await LaunchAsync("sub-ada", "Ada", LessonLink());
        Assert.Equal($"/lessons/{Lesson}", landed); // the link opens its lesson
        await OpenAsync(ada);

        await AnswerAsync(ada, "throughput", 0); // right at the first try: 1 of 3
        await WaitForScoresAsync(1);
        await AnswerAsync(ada, "gpu-stage", 1);  // wrong at the first try: the score stays 1 of 3, nothing is sent
        await AnswerAsync(ada, "gpu-stage", 0);  // right at the second: still 1 at the first try
        await AnswerAsync(ada, "latency", 0);    // every question now right: 2 of 3, completed
        await WaitForScoresAsync(2);

        var scores = _platform.Scores.ToList();
        Assert.Equal(2, scores.Count);
        Assert.All(scores, s => Assert.Equal(_platform.LinkLineItemUrl, s.LineItemId));
        Assert.All(scores, s => Assert.StartsWith("application/vnd.ims.lis.v1.score+json", s.ContentType));
        Assert.All(scores, s => Assert.Equal(["activityProgress", "gradingProgress", "scoreGiven", "scoreMaximum", "timestamp", "userId"], s.Fields));
        Assert.Equal(("sub-ada", 1.0, 3.0, "InProgress", "Pending"), (scores[0].UserId, scores[0].ScoreGiven, scores[0].ScoreMaximum, scores[0].ActivityProgress, scores[0].GradingProgress));
        Assert.Equal(("sub-ada", 2.0, 3.0, "Completed", "FullyGraded"), (scores[1].UserId, scores[1].ScoreGiven, scores[1].ScoreMaximum, scores[1].ActivityProgress, scores[1].GradingProgress));
        Assert.True(DateTimeOffset.Parse(scores[1].Body.GetProperty("timestamp").GetString()!) >= DateTimeOffset.Parse(scores[0].Body.GetProperty("timestamp").GetString()!));
        // One token, signed by the tool and checked against its JWKS, served both posts.
        Assert.Equal($"granted: {TestPlatform.ScoreScope}", Assert.Single(_platform.TokenRequests));
        Assert.Single(_platform.LineItems); // the link's own column: nothing made
    }

    [Fact]
    public async Task LinkWithoutAColumn_GetsOneMade_ForAllItsStudents()
    {
        var (ada, _) = await LaunchAsync("sub-ada", "Ada", LessonLink("link-no-column", ownColumn: false));
        var (bob, _) = await LaunchAsync("sub-bob", "Bob", LessonLink("link-no-column", ownColumn: false));
        await OpenAsync(ada);
        await OpenAsync(bob);
        await Task.WhenAll(AnswerAsync(ada, "throughput", 0), AnswerAsync(bob, "throughput", 1));
        await WaitForScoresAsync(2);

        var made = Assert.Single(_platform.LineItems.Values, i => i.ResourceLinkId == "link-no-column");
        Assert.Equal((Lesson, 3.0, "learndl-lesson", "What a CPU is, what a GPU is"), (made.ResourceId, made.ScoreMaximum, made.Tag, made.Label));
        Assert.All(_platform.Scores, s => Assert.Equal(made.Id, s.LineItemId));
        Assert.Equal(["sub-ada:1", "sub-bob:0"], _platform.Scores.Select(s => $"{s.UserId}:{s.ScoreGiven}").Order());
    }

    [Fact]
    public async Task GradebookDown_TheScoreIsTriedAgainAfterABackoff_AndTheDashboardSaysWhyMeanwhile()
    {
        var (ada, _) = await LaunchAsync("sub-ada", "Ada", LessonLink());
        await OpenAsync(ada);
        _platform.FailScores(1);
        await AnswerAsync(ada, "throughput", 0);
        var poster = _factory.Services.GetRequiredService<ScorePoster>();
        await WaitForAsync(async () => (await poster.ViewAsync()).Failing.Count == 1, "the failed post on the dashboard");

        var instructor = await InstructorAsync();
        var dashboard = WebUtility.HtmlDecode(await instructor.GetStringAsync("/instructor"));
        Assert.Contains("data-testid=\"score-failing\"", dashboard);
        Assert.Contains("could not post the score just now (503); LearnDL tries again.", dashboard);
        Assert.Empty(_platform.Scores);

        _time.Advance(TimeSpan.FromSeconds(ScorePoster.BackoffSeconds[0])); // the first backoff passes
        await WaitForScoresAsync(1);
        Assert.Equal(1.0, Assert.Single(_platform.Scores).ScoreGiven);
        await WaitForAsync(async () => (await poster.ViewAsync()) is { Failing.Count: 0, Sent: 1, Waiting: 0 }, "the dashboard to clear");
    }

    [Fact]
    public async Task TryItLink_GetsNoScore_TheLessonsLinkDoes()
    {
        var (ada, landed) = await LaunchAsync("sub-ada", "Ada", LessonLink("link-preset", preset: "cpu-small", ownColumn: false));
        Assert.Equal($"/lessons/{Lesson}", landed);
        await LaunchAsync("sub-ada", "Ada", LessonLink()); // the lesson's own link: this one is graded
        await OpenAsync(ada);
        await AnswerAsync(ada, "throughput", 0);
        await WaitForScoresAsync(1);
        Assert.Equal(_platform.LinkLineItemUrl, Assert.Single(_platform.Scores).LineItemId);
        Assert.DoesNotContain(_platform.LineItems.Values, i => i.ResourceLinkId == "link-preset"); // no column made for the Try-it
    }

    [Fact]
    public async Task Students_ListsTheLmsRoster_WithWhoLaunched()
    {
        _platform.Members.AddRange([
            new TestMember("sub-ada", "Ada Lovelace", "ada@example.edu", TestMember.Learner),
            new TestMember("sub-bob", "Bob Babbage", "bob@example.edu", TestMember.Learner),
            new TestMember("sub-prof", "Prof. Ng", null, TestMember.Instructor)]);
        await LaunchAsync("sub-ada", "Ada Lovelace", LessonLink());

        var instructor = await InstructorAsync();
        var list = (await instructor.GetFromJsonAsync<JsonArray>("/api/instructor/students"))!;
        string Row(JsonNode? r) => $"{r!["name"]}|{r["id"] is not null}|{r["launched"]}|{r["inRoster"]}|{r["lmsUserId"]}";
        Assert.Equal(["Ada Lovelace|True|true|true|sub-ada", "Bob Babbage|False|false|true|sub-bob"], list.Select(Row));
        Assert.Single(_platform.TokenRequests); // with the roster scope
        Assert.Contains(TestPlatform.NrpsScope, _platform.TokenRequests.Single());
    }

    [Fact]
    public async Task DeepLinkPicker_AnswersTheLmsWithASignedLinkToTheLesson_WithoutACookie()
    {
        var (_, landed) = await LaunchAsync("sub-prof", "Prof. Ng", claims => _platform.DeepLinkingRequest(claims), TestPlatform.InstructorRole);
        Assert.StartsWith("/lti/deep-linking?launch=", landed);
        var browser = _factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false }); // the LMS's frame may keep no cookie
        var picker = await browser.GetAsync(landed);
        Assert.Equal(HttpStatusCode.OK, picker.StatusCode);
        Assert.Contains($"form-action 'self' {new Uri(_platform.BaseUrl).GetLeftPart(UriPartial.Authority)}", picker.Headers.GetValues("Content-Security-Policy").Single());
        var html = await picker.Content.ReadAsStringAsync();
        var form = FormOf().Matches(html).Single(m => m.Groups["id"].Value == $"deep-link-{Lesson}");
        Assert.Equal(_platform.DeepLinkReturnUrl, WebUtility.HtmlDecode(form.Groups["action"].Value));
        Assert.Contains($"deep-link-{Lesson}-", html); // its Try-it too

        using var lms = new HttpClient();
        var back = await lms.PostAsync(_platform.DeepLinkReturnUrl, new FormUrlEncodedContent([KeyValuePair.Create("JWT", form.Groups["jwt"].Value)]));
        Assert.Equal(HttpStatusCode.OK, back.StatusCode); // the platform checked the signature against /lti/jwks's keys
        var response = Assert.Single(_platform.DeepLinkResponses);
        Assert.Equal("dl-data-42", response.GetProperty(LtiClaims.DeepLinkingData).GetString());
        var item = Assert.Single(response.GetProperty(LtiClaims.ContentItems).EnumerateArray());
        Assert.Equal(Lesson, item.GetProperty("custom").GetProperty("learndl_lesson").GetString());
        Assert.Equal(3, item.GetProperty("lineItem").GetProperty("scoreMaximum").GetInt32());
        Assert.EndsWith($"/lessons/{Lesson}", item.GetProperty("url").GetString());

        var gone = await browser.GetAsync("/lti/deep-linking?launch=not-a-launch");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Contains("choose <em>LearnDL</em> in the LMS again", await gone.Content.ReadAsStringAsync());
    }

    [GeneratedRegex("""<form method="post" action="(?<action>[^"]+)" data-testid="(?<id>[^"]+)"><input type="hidden" name="JWT" value="(?<jwt>[^"]+)">""")]
    private static partial Regex FormOf();
}

/// <summary>The app with the test platform registered, a clock the test moves, and the helpers that record launches and answer.</summary>
public abstract class LtiAppTestBase : IAsyncLifetime, IDisposable
{
    protected const string Passphrase = "teach-the-class-2026";
    protected const string Lesson = "cpu-and-gpu"; // three check questions; the first answer of each is the right one
    private readonly TempFolder _temp = new();
    protected readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    protected TestPlatform _platform = null!;
    protected LearnDLFactory _factory = null!;

    /// <summary>Settings of the app besides the platform's and the class's.</summary>
    protected virtual IEnumerable<(string Key, string Value)> MoreSettings() => [];

    /// <summary>Whether the app runs on the test's clock (the jobs database keeps its own time).</summary>
    protected virtual bool FakeClock => true;

    public virtual async Task InitializeAsync()
    {
        _platform = await TestPlatform.StartAsync();
        _factory = new LearnDLFactory(_temp.Path, [.. _platform.Settings(),
            ("LearnDL:Class:InstructorPassphrase", Passphrase),
            // The tests answer at machine speed; the pulse's screen for scripts would keep every answer out of the score.
            ("LearnDL:Class:MinSecondsBetweenAnswers", "0"), ("LearnDL:Class:MinSecondsAfterOpening", "0"), .. MoreSettings()])
        {
            TestServices = s => { if (FakeClock) s.AddSingleton<TimeProvider>(_time); },
        };
        _ = _factory.Server; // start the app
        _platform.ToolJwks = () => Task.FromResult(JsonSerializer.Serialize(_factory.Services.GetRequiredService<LtiToolKeys>().Jwks()));
    }

    public virtual async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _platform.DisposeAsync();
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>A launch from the test course as <paramref name="subject"/> (a student unless roles say otherwise), of the link <paramref name="edit"/> makes; the browser, signed in.</summary>
    protected async Task<(HttpClient Browser, string Landed)> LaunchAsync(string subject, string name, Action<Dictionary<string, object?>>? edit = null, params string[] roles)
    {
        // https: the LTI session's cookies are Secure.
        var browser = _factory.CreateClient(new() { AllowAutoRedirect = false, BaseAddress = new Uri("https://localhost") });
        var result = await _platform.LaunchAsync(browser, subject, roles.Length > 0 ? roles : [TestPlatform.LearnerRole], claims =>
        {
            (claims["name"], claims["given_name"], claims["family_name"], claims["email"]) = (name, null, null, $"{subject}@example.edu");
            edit?.Invoke(claims);
        });
        Assert.True(result.Launch.StatusCode == HttpStatusCode.SeeOther, await result.Launch.Content.ReadAsStringAsync());
        return (browser, result.Launch.Headers.Location!.ToString());
    }

    protected async Task<HttpClient> InstructorAsync() => (await LaunchAsync("sub-prof", "Prof. Ng", null, TestPlatform.InstructorRole)).Browser;

    /// <summary>The link LearnDL's picker made for the lesson (the launch's own column, unless <paramref name="edit"/> changes it).</summary>
    protected Action<Dictionary<string, object?>> LessonLink(string linkId = TestPlatform.ResourceLinkId, string? preset = null, bool ownColumn = true) => claims =>
    {
        TestPlatform.LinkTo(claims, Lesson, preset);
        claims["https://purl.imsglobal.org/spec/lti/claim/resource_link"] = new Dictionary<string, object> { ["id"] = linkId, ["title"] = "LearnDL: " + linkId };
        if (!ownColumn) _platform.WithoutLineItem(claims);
    };

    protected static async Task AnswerAsync(HttpClient student, string question, int answer, string lesson = Lesson)
    {
        var response = await student.PostAsJsonAsync($"/api/lessons/{lesson}/questions/{question}/answers", new { answer });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    protected static async Task OpenAsync(HttpClient student, string lesson = Lesson) =>
        Assert.Equal(HttpStatusCode.OK, (await student.PostAsync($"/api/lessons/{lesson}/opened", null)).StatusCode);

    /// <summary>Waits (on the real clock: the posts go over loopback) until <paramref name="done"/> holds, or fails after 20 s.</summary>
    protected static async Task WaitForAsync(Func<Task<bool>> done, string what, int seconds = 20)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); !await done();)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }

    protected Task WaitForScoresAsync(int count, int seconds = 20) => WaitForAsync(() => Task.FromResult(_platform.Scores.Count >= count), $"{count} score(s) at the platform", seconds);

}

/// <summary>With worker machines (Hangfire on PostgreSQL), a score post is a Hangfire job the web app serves itself, retried by Hangfire.</summary>
public sealed class LtiScoreJobTests : LtiAppTestBase
{
    private LearnDL.Testing.PostgresCluster _jobs = null!;

    protected override bool FakeClock => false;

    protected override IEnumerable<(string Key, string Value)> MoreSettings() =>
        [("LearnDL:Workers:Engine", "postgres"), ("ConnectionStrings:Jobs", _jobs.ConnectionString)];

    public override async Task InitializeAsync()
    {
        _jobs = await LearnDL.Testing.PostgresCluster.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _jobs.DisposeAsync();
    }

    [Fact]
    public async Task GradebookDown_TheJobFailsAndHangfireRetriesIt_UntilTheScoreIsIn()
    {
        var poster = _factory.Services.GetRequiredService<ScorePoster>();
        Assert.True(poster.UsesJobs);
        var (ada, _) = await LaunchAsync("sub-ada", "Ada", LessonLink());
        await OpenAsync(ada);
        _platform.FailScores(1);
        await AnswerAsync(ada, "throughput", 0);
        await WaitForAsync(async () => (await poster.ViewAsync()).Failing.Count == 1, "the failed job on the dashboard");
        // Hangfire's first retry comes 5 s later, through the scheduled set.
        await WaitForScoresAsync(1, seconds: 60);
        Assert.Equal(("sub-ada", 1.0), (_platform.Scores.Single().UserId, _platform.Scores.Single().ScoreGiven));
        await WaitForAsync(async () => (await poster.ViewAsync()) is { Failing.Count: 0, Sent: 1 }, "the dashboard to clear");
    }
}
