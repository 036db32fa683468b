using System.Text.Json;
using LearnDL.Testing.Lti;
using LearnDL.Web.Identity.Lti;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Tests.Lti;

/// <summary>
/// LearnDL's side of the LTI Advantage services against the test platform, without the app: the client-credentials
/// token (an assertion the platform checks against the tool's JWKS), AGS line items and scores, NRPS paging, and the
/// signed deep linking response.
/// </summary>
public sealed class PlatformServicesTests : IAsyncLifetime, IDisposable
{
    private readonly ToolKey _key = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly ServiceProvider _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    private TestPlatform _platform = null!;

    private IHttpClientFactory Http => _services.GetRequiredService<IHttpClientFactory>();
    private PlatformAccess Access => new(_platform.Issuer, _platform.ClientId, _platform.TokenEndpoint);

    public async Task InitializeAsync()
    {
        _platform = await TestPlatform.StartAsync();
        _platform.ToolJwks = () => Task.FromResult(_key.Jwks);
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    public void Dispose()
    {
        _key.Dispose();
        _services.Dispose();
    }

    private PlatformTokens Tokens(IToolSigningCredentials? key = null) => new(Http, key ?? _key, _time, NullLogger<PlatformTokens>.Instance);

    [Fact]
    public async Task Token_AssertionSignedByTheTool_IsGranted_AndKeptUntilShortlyBeforeItExpires()
    {
        _platform.TokenLifetime = TimeSpan.FromMinutes(2);
        var tokens = Tokens();
        var first = await tokens.GetAsync(Access, [Ags.ScoreScope, Ags.LineItemScope]);
        Assert.Equal(first, await tokens.GetAsync(Access, [Ags.LineItemScope, Ags.ScoreScope])); // same scopes, any order: the cached token
        Assert.Equal(1, tokens.Requests);
        Assert.Equal($"granted: {Ags.LineItemScope} {Ags.ScoreScope}", Assert.Single(_platform.TokenRequests));

        _time.Advance(TimeSpan.FromSeconds(100)); // the platform gave 120 s; LearnDL stops using it a tenth early
        Assert.Equal(first, await tokens.GetAsync(Access, [Ags.ScoreScope, Ags.LineItemScope]));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.NotEqual(first, await tokens.GetAsync(Access, [Ags.ScoreScope, Ags.LineItemScope]));
        Assert.Equal(2, tokens.Requests);
    }

    [Fact]
    public void Assertion_IsAddressedToTheTokenEndpoint_ByTheClientId_AndSignedWithTheToolsKid()
    {
        var jwt = new JsonWebToken(Tokens().Assertion(Access));
        Assert.Equal(_platform.TokenEndpoint, Assert.Single(jwt.Audiences)); // Canvas refuses any other aud
        Assert.Equal(_platform.ClientId, jwt.Issuer);
        Assert.Equal(_platform.ClientId, jwt.Subject);
        Assert.Equal("tool-key-1", jwt.Kid);
        Assert.False(string.IsNullOrEmpty(jwt.Id));
    }

    [Fact]
    public async Task Token_SignedWithAKeyTheToolDoesNotPublish_IsRefused_AndTheMessageSaysWhatToCheck()
    {
        using var stranger = new ToolKey("tool-key-1"); // same kid, another key: the signature gives it away
        var e = await Assert.ThrowsAsync<PlatformServiceException>(() => Tokens(stranger).GetAsync(Access, [Nrps.Scope]));
        Assert.Contains("refused LearnDL (401: invalid_client)", e.Message);
        Assert.Contains("JWKS URL (/lti/jwks)", e.Message);
        Assert.False(e.WorthRetrying);
        Assert.StartsWith("refused:", Assert.Single(_platform.TokenRequests));
    }

    [Fact]
    public async Task LineItem_IsFoundOrMadeOnce_AndScoresGoToIt_WithExactlyTheScoreFields()
    {
        var token = await Tokens().GetAsync(Access, [Ags.ScoreScope, Ags.LineItemScope]);
        var gradebook = new GradebookClient(Http);
        var query = new LineItemQuery(_platform.LineItemsUrl, "link-7", "cpu-and-gpu", "What a CPU is", 3);
        var made = await gradebook.FindOrCreateLineItemAsync(query, token, "lms");
        Assert.Equal(made, await gradebook.FindOrCreateLineItemAsync(query, token, "lms"));
        var item = Assert.Single(_platform.LineItems.Values, i => i.ResourceLinkId == "link-7");
        Assert.Equal((made, "cpu-and-gpu", 3.0, Ags.Tag), (item.Id, item.ResourceId, item.ScoreMaximum, item.Tag));

        var at = new DateTimeOffset(2026, 12, 7, 6, 30, 15, 123, TimeSpan.Zero);
        await gradebook.PostScoreAsync(made, "sub-ada", new LessonScore(2, 3, Completed: false), at, token, "lms");
        await gradebook.PostScoreAsync(made, "sub-ada", new LessonScore(2, 3, Completed: true), at.AddSeconds(5), token, "lms");
        var scores = _platform.Scores.ToList();
        Assert.All(scores, s => Assert.Equal(made, s.LineItemId));
        Assert.All(scores, s => Assert.StartsWith(Ags.ScoreMediaType, s.ContentType));
        Assert.All(scores, s => Assert.Equal(["activityProgress", "gradingProgress", "scoreGiven", "scoreMaximum", "timestamp", "userId"], s.Fields));
        Assert.Equal(("sub-ada", 2.0, 3.0, "InProgress", "Pending"), (scores[0].UserId, scores[0].ScoreGiven, scores[0].ScoreMaximum, scores[0].ActivityProgress, scores[0].GradingProgress));
        Assert.Equal(("Completed", "FullyGraded"), (scores[1].ActivityProgress, scores[1].GradingProgress));
        Assert.Equal("2026-12-07T06:30:15.123Z", scores[0].Body.GetProperty("timestamp").GetString());
    }

    [Fact]
    public async Task LineItem_TheLmsMadeAtLinking_IsTheOneUsed()
    {
        var existing = _platform.AddLineItem("Lesson 1", 3, "cpu-and-gpu", "link-9");
        _platform.AddLineItem("Another link's column", 3, "cpu-and-gpu", "link-10");
        var token = await Tokens().GetAsync(Access, [Ags.LineItemScope]);
        Assert.Equal(existing, await new GradebookClient(Http).FindOrCreateLineItemAsync(new LineItemQuery(_platform.LineItemsUrl, "link-9", "cpu-and-gpu", "x", 3), token, "lms"));
        Assert.Equal(3, _platform.LineItems.Count); // with the launch link's own: nothing made
    }

    [Fact]
    public async Task GradebookDown_IsAnErrorWorthRetrying_AndARefusalIsNot()
    {
        var token = await Tokens().GetAsync(Access, [Ags.ScoreScope]);
        var item = _platform.AddLineItem("Lesson 1", 3, "cpu-and-gpu", "link-1");
        _platform.FailScores(1);
        var down = await Assert.ThrowsAsync<PlatformServiceException>(() =>
            new GradebookClient(Http).PostScoreAsync(item, "sub", new LessonScore(1, 3, false), DateTimeOffset.UtcNow, token, "lms.example"));
        Assert.True(down.WorthRetrying);
        Assert.Contains("lms.example could not post the score just now (503)", down.Message);
        await Assert.ThrowsAsync<UnauthorizedPlatformException>(() =>
            new GradebookClient(Http).PostScoreAsync(item, "sub", new LessonScore(1, 3, false), DateTimeOffset.UtcNow, "not-a-token", "lms.example"));
        Assert.Empty(_platform.Scores);
    }

    [Fact]
    public async Task Roster_IsReadAcrossPages_WithTheNrpsMediaType()
    {
        _platform.MembersPerPage = 2;
        foreach (var i in Enumerable.Range(1, 5)) _platform.Members.Add(new TestMember($"sub-{i}", $"Student {i}", $"s{i}@school.example", TestMember.Learner));
        _platform.Members.Add(new TestMember("sub-teacher", "Prof. Ng", null, TestMember.Instructor));
        var token = await Tokens().GetAsync(Access, [Nrps.Scope]);
        var members = await new RosterClient(Http).FetchAsync(_platform.MembershipsUrl, token, "lms");
        Assert.Equal(["sub-1", "sub-2", "sub-3", "sub-4", "sub-5", "sub-teacher"], members.Select(m => m.UserId));
        Assert.Equal(5, members.Count(m => m.IsLearner));
        Assert.Equal("s3@school.example", members[2].Email);
        Assert.Equal(3, _platform.NrpsRequests.Count);
        Assert.All(_platform.NrpsRequests, accept => Assert.Equal(Nrps.MediaType, accept));
    }

    [Theory]
    [InlineData("<https://lms.example/m?page=2>; rel=\"next\"", "https://lms.example/m?page=2")]
    [InlineData("<https://lms.example/m?page=1>; rel=\"first\", </m?page=3>; rel=\"next\"", "https://lms.example/m?page=3")]
    [InlineData("<https://lms.example/m?page=9>; rel=\"last\"", null)]
    public void Roster_NextPage_IsReadFromTheLinkHeader(string link, string? next) =>
        Assert.Equal(next, RosterClient.Next(link, "https://lms.example/m?page=1"));

    [Theory]
    [InlineData("https://lms.example/mod/lti/services.php/7/lineitems/19/lineitem?type_id=4", "https://lms.example/mod/lti/services.php/7/lineitems/19/lineitem/scores?type_id=4")]
    [InlineData("https://canvas.example/api/lti/courses/1/line_items/5", "https://canvas.example/api/lti/courses/1/line_items/5/scores")]
    [InlineData("https://canvas.example/api/lti/courses/1/line_items/5/", "https://canvas.example/api/lti/courses/1/line_items/5/scores")]
    public void ScoresUrl_GoesIntoThePath_BeforeAnyQuery(string lineItem, string scores) => Assert.Equal(scores, GradebookClient.ScoresUrl(lineItem));

    [Fact]
    public async Task DeepLinkingResponse_IsSignedForThePlatform_WithTheLessonsLinkAndItsColumn()
    {
        var settings = new LtiDeepLinkingSettings(_platform.DeepLinkReturnUrl, ["ltiResourceLink"], ["iframe"], false, false, "dl-data-42", null, null);
        var request = new DeepLinkRequest(_platform.Issuer, _platform.ClientId, _platform.DeploymentId, settings);
        var item = new DeepLinkItem("What a CPU is", "Lesson 1", "https://learndl.example/lessons/cpu-and-gpu",
            new Dictionary<string, string> { [LtiTargets.LessonParameter] = "cpu-and-gpu" }, "cpu-and-gpu", 3);
        var jwt = DeepLinkingResponse.Create(request, [item], _key.Current, DateTimeOffset.UtcNow, "added");

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = _platform.ClientId, ValidAudience = _platform.Issuer, IssuerSigningKeys = new JsonWebKeySet(_key.Jwks).GetSigningKeys(),
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(((JsonWebToken)result.SecurityToken).EncodedPayload));
        var p = payload.RootElement;
        Assert.Equal("LtiDeepLinkingResponse", p.GetProperty(LtiClaims.MessageType).GetString());
        Assert.Equal("1.3.0", p.GetProperty(LtiClaims.Version).GetString());
        Assert.Equal(_platform.DeploymentId, p.GetProperty(LtiClaims.DeploymentId).GetString());
        Assert.Equal("dl-data-42", p.GetProperty(LtiClaims.DeepLinkingData).GetString());
        Assert.False(string.IsNullOrEmpty(p.GetProperty("nonce").GetString()));
        var link = Assert.Single(p.GetProperty(LtiClaims.ContentItems).EnumerateArray());
        Assert.Equal("ltiResourceLink", link.GetProperty("type").GetString());
        Assert.Equal("cpu-and-gpu", link.GetProperty("custom").GetProperty("learndl_lesson").GetString());
        Assert.Equal(3, link.GetProperty("lineItem").GetProperty("scoreMaximum").GetInt32());
        Assert.Equal("cpu-and-gpu", link.GetProperty("lineItem").GetProperty("resourceId").GetString());
    }
}
