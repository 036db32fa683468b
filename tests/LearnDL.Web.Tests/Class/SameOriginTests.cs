using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using LearnDL.Training.Compute;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Tests.Class;

/// <summary>
/// The review's first finding, through HTTP against the whole app: a page of another origin on the same site
/// (another port of this host) drove the instructor's live connection and bodyless API posts with their cookie.
/// The app answers on http://localhost here; http://localhost:5173 is such a page.
/// </summary>
public class SameOriginTests : ClassAppTests
{
    private const string SameSitePage = "http://localhost:5173";
    private const string Refused = "Refused: sent from another site's page";

    /// <summary>What a browser adds to a request another page made it send: a foreign Origin, "null", or only Sec-Fetch-Site.</summary>
    public static TheoryData<string?, string?> FromElsewhere => new()
    {
        { SameSitePage, null }, { "https://evil.example", "cross-site" }, { "null", null }, { null, "same-site" }, { null, "cross-site" },
    };

    private static HttpRequestMessage Request(HttpMethod method, string url, string? origin, string? fetchSite, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (fetchSite is not null) request.Headers.Add("Sec-Fetch-Site", fetchSite);
        return request;
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(Refused, problem["title"]!.GetValue<string>());
        Assert.Contains("only accepts this from its own pages", problem["detail"]!.GetValue<string>());
    }

    private async Task<(Visitor Visitor, string Cookie)> InstructorWithCookieAsync()
    {
        var instructor = new Visitor(_factory);
        var signIn = await instructor.SignInAsync(Passphrase);
        return (instructor, signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(OwnerCookie.Name + "=")).Split(';')[0]);
    }

    /// <summary>A WebSocket to /_blazor as blazor.web.js opens it with skipNegotiation, carrying the instructor's cookie.</summary>
    private Task<WebSocket> OpenLiveConnectionAsync(string cookie, string? origin)
    {
        var client = _factory.Server.CreateWebSocketClient();
        client.ConfigureRequest = request =>
        {
            request.Headers.Cookie = cookie;
            if (origin is not null) request.Headers.Origin = origin;
        };
        return client.ConnectAsync(new Uri(_factory.Server.BaseAddress, "_blazor"), CancellationToken.None);
    }

    [Theory]
    [MemberData(nameof(FromElsewhere))]
    public async Task LiveConnection_FromAnotherPage_IsRefused_NegotiateAndWebSocket(string? origin, string? fetchSite)
    {
        var (instructor, cookie) = await InstructorWithCookieAsync();
        await AssertRefusedAsync(await instructor.Http.SendAsync(Request(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1", origin, fetchSite)));
        // An upgrade-shaped GET (what the browser sends first) and a real WebSocket handshake, without negotiating first.
        var upgrade = Request(HttpMethod.Get, "/_blazor", origin, fetchSite);
        upgrade.Headers.Add("Connection", "Upgrade");
        upgrade.Headers.Add("Upgrade", "websocket");
        upgrade.Headers.Add("Sec-WebSocket-Version", "13");
        upgrade.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        await AssertRefusedAsync(await instructor.Http.SendAsync(upgrade));
        if (origin is not null)
        {
            var handshake = await Assert.ThrowsAsync<InvalidOperationException>(() => OpenLiveConnectionAsync(cookie, origin));
            Assert.Contains("403", handshake.Message);
        }
    }

    [Fact]
    public async Task LiveConnection_FromTheAppsOwnPages_OrAClientThatSaysNothing_Opens()
    {
        var (instructor, cookie) = await InstructorWithCookieAsync();
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.SendAsync(Request(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1", "http://localhost", "same-origin"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PostAsync("/_blazor/negotiate?negotiateVersion=1", null)).StatusCode);
        using var own = await OpenLiveConnectionAsync(cookie, "http://localhost");
        Assert.Equal(WebSocketState.Open, own.State);
        using var script = await OpenLiveConnectionAsync(cookie, origin: null);
        Assert.Equal(WebSocketState.Open, script.State);
    }

    [Theory]
    [MemberData(nameof(FromElsewhere))]
    public async Task InstructorsBodylessPosts_FromAnotherPage_AreRefused_AndChangeNothing(string? origin, string? fetchSite)
    {
        var (instructor, _) = await InstructorWithCookieAsync();
        var ada = await StudentAsync("Ada");
        await StudentAsync("Ada again");
        var students = (await instructor.Http.GetFromJsonAsync<JsonArray>("/api/instructor/students"))!;
        string Id(string name) => students.Single(s => s!["name"]!.GetValue<string>() == name)!["id"]!.GetValue<string>();

        foreach (var url in new[] { "/api/instructor/queue/cpu/pause", "/api/instructor/comparison?show=true", $"/api/instructor/students/{Id("Ada")}/merge-into/{Id("Ada again")}" })
            await AssertRefusedAsync(await instructor.Http.SendAsync(Request(HttpMethod.Post, url, origin, fetchSite)));
        // A form auto-posted from that page, as a browser sends it.
        var form = new FormUrlEncodedContent([KeyValuePair.Create("x", "1")]);
        await AssertRefusedAsync(await instructor.Http.SendAsync(Request(HttpMethod.Post, $"/api/instructor/students/{Id("Ada")}/merge-into/{Id("Ada again")}", origin, fetchSite, form)));
        await AssertRefusedAsync(await instructor.Http.SendAsync(Request(HttpMethod.Delete, $"/api/instructor/students/{Id("Ada")}", origin, fetchSite)));

        Assert.False(_factory.Services.GetRequiredService<IRunQueue>().View().Lanes.Single(l => l.Device == ComputeDevice.Cpu).Paused);
        Assert.Contains("has not opened the class comparison", await ada.Http.GetStringAsync("/class"));
        Assert.Equal(2, (await instructor.Http.GetFromJsonAsync<JsonArray>("/api/instructor/students"))!.Count);
        Assert.Equal(HttpStatusCode.OK, (await ada.Http.GetAsync("/api/runs")).StatusCode); // still in the class, not merged away
    }

    [Fact]
    public async Task InstructorsPosts_FromTheAppsOwnPages_OrAScriptThatSaysNothing_Work()
    {
        var (instructor, _) = await InstructorWithCookieAsync();
        var pause = await instructor.Http.SendAsync(Request(HttpMethod.Post, "/api/instructor/queue/cpu/pause", "http://localhost", "same-origin"));
        Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        Assert.True(_factory.Services.GetRequiredService<IRunQueue>().View().Lanes.Single(l => l.Device == ComputeDevice.Cpu).Paused);
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PostAsync("/api/instructor/queue/cpu/resume", null)).StatusCode);
        Assert.False(_factory.Services.GetRequiredService<IRunQueue>().View().Lanes.Single(l => l.Device == ComputeDevice.Cpu).Paused);
        // A page the user opened by typing its address says "none": not another site.
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.SendAsync(Request(HttpMethod.Post, "/api/instructor/comparison?show=true", null, "none"))).StatusCode);
    }

    [Fact]
    public async Task SignInForms_PostedFromAnotherPage_AreRefused_EvenWithAValidToken()
    {
        var ada = await StudentAsync("Ada");
        var html = await ada.Http.GetStringAsync("/sign-out");
        var token = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var form = new FormUrlEncodedContent([KeyValuePair.Create("__RequestVerificationToken", token)]);
        await AssertRefusedAsync(await ada.Http.SendAsync(Request(HttpMethod.Post, "/account/sign-out", SameSitePage, "same-site", form)));
        Assert.Equal(HttpStatusCode.OK, (await ada.Http.GetAsync("/api/runs")).StatusCode); // still signed in
        var stranger = new Visitor(_factory);
        await AssertRefusedAsync(await stranger.Http.SendAsync(Request(HttpMethod.Post, "/account/join", SameSitePage, null,
            new FormUrlEncodedContent([KeyValuePair.Create("name", "Mallory")]))));
    }

    [Fact]
    public async Task AllowedOrigins_LetsAReverseProxysPagesIn_AndNoOtherOrigin()
    {
        using var temp = new TempFolder();
        using var factory = new LearnDLFactory(temp.Path, ("LearnDL:Class:InstructorPassphrase", Passphrase),
            ("LearnDL:Hosting:AllowedOrigins:0", "https://Class.Example.edu"));
        var instructor = new Visitor(factory);
        Assert.Equal("/instructor", (await instructor.SignInAsync(Passphrase)).Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.SendAsync(Request(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1", "https://class.example.edu", "same-origin"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.SendAsync(Request(HttpMethod.Post, "/api/instructor/queue/cpu/pause", "https://class.example.edu:443", null))).StatusCode);
        await AssertRefusedAsync(await instructor.Http.SendAsync(Request(HttpMethod.Post, "/api/instructor/queue/cpu/resume", "https://lab.example.edu", null)));
        await AssertRefusedAsync(await instructor.Http.SendAsync(Request(HttpMethod.Post, "/api/instructor/queue/cpu/resume", "http://class.example.edu", null)));

        var problems = new ValidateLearnDLOptions().Validate(null, new LearnDLOptions { Hosting = { AllowedOrigins = ["class.example.edu", "https://class.example.edu/app"] } });
        Assert.Equal(2, problems.Failures!.Count(f => f.Contains("LearnDL:Hosting:AllowedOrigins")));
    }

    [Fact]
    public async Task LtiLaunchPaths_AreLeftToTheirOwnGuard()
    {
        var stranger = new Visitor(_factory);
        foreach (var path in SameOriginRule.CrossSiteByDesign)
        {
            var post = await stranger.Http.SendAsync(Request(HttpMethod.Post, path, "https://lms.example.edu", "cross-site", new FormUrlEncodedContent([])));
            Assert.DoesNotContain(Refused, await post.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task InstructorsCookie_IsSameSiteStrict_EvenWhenRenewed_AndStudentsStaysLax()
    {
        var instructor = new Visitor(_factory);
        var signIn = (await instructor.SignInAsync(Passphrase)).Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(OwnerCookie.Name + "="));
        Assert.Contains("samesite=strict", signIn, StringComparison.OrdinalIgnoreCase);
        var join = (await new Visitor(_factory).JoinAsync("Ada")).Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(OwnerCookie.Name + "="));
        Assert.Contains("samesite=lax", join, StringComparison.OrdinalIgnoreCase);

        // A renewal writes the cookie through the cookie manager alone (no signing-in event): the instructor's stays Strict.
        var options = _factory.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(OwnerCookie.Scheme);
        foreach (var (owner, sameSite) in new[] { (RunOwner.Instructor, "strict"), (new RunOwner("student-x", "X", OwnerRole.Student), "lax") })
        {
            var http = new DefaultHttpContext();
            var ticket = options.TicketDataFormat.Protect(new AuthenticationTicket(owner.ToPrincipal(OwnerCookie.Scheme), OwnerCookie.Scheme));
            options.CookieManager.AppendResponseCookie(http, OwnerCookie.Name, ticket, new CookieOptions { SameSite = SameSiteMode.Lax, HttpOnly = true });
            Assert.Contains("samesite=" + sameSite, http.Response.Headers.SetCookie.ToString(), StringComparison.OrdinalIgnoreCase);
        }
    }
}
