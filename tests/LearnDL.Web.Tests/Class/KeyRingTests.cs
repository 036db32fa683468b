using System.Net;
using System.Text.RegularExpressions;
using LearnDL.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LearnDL.Web.Tests.Class;

/// <summary>The keys that sign students' cookies are the data folder's: a restart or a redeploy keeps every student in.</summary>
public sealed partial class KeyRingTests : IDisposable
{
    private readonly Restarts _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Restart_OnANewPublishFolder_KeepsEveryStudentsCookie()
    {
        var cookies = new CookieContainer();
        var first = _server.Start();
        var ada = Client(first, cookies);
        Assert.Equal("/lessons", (await JoinAsync(ada, "Ada")).Headers.Location!.ToString());
        var run = await ada.SubmitAsync(new { images = 8, epochs = 1, device = "cpu" });
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_server.DataFolder, "keys"), "key-*.xml"));
        _server.Stop(first);

        // Another content root, as a redeploy to another folder gives: only the data folder is the same.
        using var elsewhere = new TempFolder();
        var second = _server.New().WithWebHostBuilder(b => b.UseContentRoot(elsewhere.Path));
        var back = Client(second, cookies);
        Assert.Equal(elsewhere.Path.TrimEnd('/'), second.Services.GetRequiredService<IHostEnvironment>().ContentRootPath.TrimEnd('/'));
        // Her run is hers still (without her cookie: 401; someone else's run: 404).
        Assert.Equal(HttpStatusCode.OK, (await back.GetAsync($"/api/runs/{run}")).StatusCode);
        // Her own name again is hers: not "already taken".
        Assert.Equal("/lessons", (await JoinAsync(back, "Ada")).Headers.Location!.ToString());
    }

    private static HttpClient Client(WebApplicationFactory<Program> app, CookieContainer cookies)
    {
        var http = app.CreateDefaultClient(new Uri("http://localhost"), new CookieContainerHandler(cookies));
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        return http;
    }

    private static async Task<HttpResponseMessage> JoinAsync(HttpClient http, string name)
    {
        var token = Token().Match(await http.GetStringAsync("/join")).Groups[1].Value;
        return await http.PostAsync("/account/join", new FormUrlEncodedContent(
            [new("name", name), new("returnUrl", "/lessons"), new("__RequestVerificationToken", token)]));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
