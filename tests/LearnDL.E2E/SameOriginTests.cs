using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LearnDL.E2E;

/// <summary>
/// The review's chain in Chromium: a student serves a page on another port of the class server's host (the same
/// site, another origin). It loads the app's own blazor.web.js with component markers copied from a real page and
/// connects to /_blazor without negotiating; a second page auto-posts a form to the merge endpoint. The instructor,
/// signed in, opens both: the dashboard must not render there, and nothing may be merged.
/// </summary>
[Collection(ClassAppCollection.Name)]
public partial class SameOriginTests(ClassAppServer app)
{
    [Fact]
    public async Task PageOnAnotherPortOfTheSameHost_CannotDriveTheInstructorsCircuit_NorPostItsForms()
    {
        // Two students; one will be "merged" into the other by the attacker's form.
        var dana = await JoinAsync("Dana Origin");
        await JoinAsync("Dana Origin 2");

        // The instructor signs in as usual (their cookie is SameSite=Strict), and the dashboard works.
        var instructor = await app.NewPageAsync();
        await instructor.GotoAsync(app.BaseUrl + "/instructor/sign-in?returnUrl=%2Finstructor");
        await instructor.Locator("#passphrase").FillAsync(ClassAppServer.Passphrase);
        await instructor.Locator("#sign-in").ClickAsync();
        await instructor.WaitForURLAsync("**/instructor", new() { WaitUntil = WaitUntilState.Commit });
        await instructor.WaitForCircuitAsync();
        await Assertions.Expect(instructor.Locator("[data-testid=students-panel] [data-student='Dana Origin 2']")).ToBeVisibleAsync();
        var cookie = (await instructor.Context.CookiesAsync([app.BaseUrl])).Single(c => c.Name == "learndl.owner");
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        var ids = await StudentIdsAsync(instructor);

        // The attacker's page: a real page of the app (a student's own), its scripts swapped for the app's
        // blazor.web.js, started against the app's /_blazor with skipNegotiation.
        var real = await dana.GetStringAsync(app.BaseUrl + "/lessons");
        var page = Scripts().Replace(real, "").Replace("</body>", $$"""
            <script src="{{app.BaseUrl}}/_framework/blazor.web.js" autostart="false"></script>
            <script>
              Blazor.start({ circuit: { configureSignalR: b => b.withUrl("{{app.BaseUrl}}/_blazor", { skipNegotiation: true, transport: 1 }) } });
            </script>
            <script src="{{app.BaseUrl}}/_content/MudBlazor/MudBlazor.min.js"></script>
            </body>
            """);
        Assert.Contains("<!--Blazor:{", page);
        var merge = $"{app.BaseUrl}/api/instructor/students/{ids["Dana Origin"]}/merge-into/{ids["Dana Origin 2"]}";
        await using var attacker = await AttackerSite.StartAsync(new()
        {
            ["/instructor"] = page,
            ["/merge"] = $"""<form method="post" action="{merge}"><input name="x" value="1"></form><script>document.forms[0].submit()</script>""",
        });
        Assert.NotEqual(new Uri(app.BaseUrl).Port, new Uri(attacker.BaseUrl).Port);

        // Opened by the instructor: the circuit does not start, so the dashboard and its student list never render there.
        var opened = await instructor.Context.NewPageAsync();
        var circuitFailed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        opened.Console += (_, message) => { if (message.Text.Contains("Failed to start the circuit")) circuitFailed.TrySetResult(); };
        await opened.GotoAsync(attacker.BaseUrl + "/instructor");
        var dashboard = opened.Locator("[data-testid=students-panel]").WaitForAsync(new() { Timeout = 60_000 });
        var first = await Task.WhenAny(circuitFailed.Task, dashboard).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(first == circuitFailed.Task, "The attacker's page started a circuit as the instructor and rendered the dashboard.");
        Assert.Equal(0, await opened.Locator("[data-testid=students-panel], [data-student]").CountAsync());
        Assert.DoesNotContain("Dana Origin 2", await opened.ContentAsync());

        // The auto-posted form: refused with the reason, and nothing merged.
        var posted = await opened.RunAndWaitForResponseAsync(() => opened.GotoAsync(attacker.BaseUrl + "/merge", new() { WaitUntil = WaitUntilState.Commit }), r => r.Url == merge);
        Assert.Equal((int)HttpStatusCode.Forbidden, posted.Status);
        Assert.Contains("another site", await posted.TextAsync());
        Assert.Equal(ids, await StudentIdsAsync(instructor));
        await Assertions.Expect(instructor.Locator("[data-testid=students-panel] [data-student='Dana Origin']")).ToBeVisibleAsync();
        await opened.CloseAsync();
        await instructor.Context.CloseAsync();
    }

    /// <summary>A student who joined with a script: their own cookie, the join form's token.</summary>
    private async Task<HttpClient> JoinAsync(string name)
    {
        var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        var form = await http.GetStringAsync(app.BaseUrl + "/join");
        var token = Token().Match(form).Groups[1].Value;
        var joined = await http.PostAsync(app.BaseUrl + "/account/join", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name, ["returnUrl"] = "/lessons", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal("/lessons", joined.Headers.Location?.ToString());
        return http;
    }

    private async Task<Dictionary<string, string>> StudentIdsAsync(IPage instructor)
    {
        var students = await (await instructor.APIRequest.GetAsync(app.BaseUrl + "/api/instructor/students")).JsonAsync();
        return students!.Value.EnumerateArray().Where(s => s.GetProperty("name").GetString()!.StartsWith("Dana Origin"))
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("id").GetString()!);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();

    [GeneratedRegex("<script[^>]*>[^<]*</script>")]
    private static partial Regex Scripts();

    /// <summary>Another site's pages on another port of this host: 127.0.0.1 like the app, so the same site, another origin.</summary>
    private sealed class AttackerSite : IAsyncDisposable
    {
        private readonly WebApplication _web;
        public string BaseUrl { get; }

        private AttackerSite(WebApplication web, string baseUrl) => (_web, BaseUrl) = (web, baseUrl);

        public static async Task<AttackerSite> StartAsync(Dictionary<string, string> pages)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var web = builder.Build();
            web.MapGet("/_blazor/initializers", () => Results.Json(Array.Empty<string>()));
            foreach (var (path, html) in pages) web.MapGet(path, () => Results.Content(html, "text/html"));
            await web.StartAsync();
            var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return new(web, address.TrimEnd('/'));
        }

        public async ValueTask DisposeAsync() => await _web.DisposeAsync();
    }
}
