using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LearnDL.Testing;

namespace LearnDL.E2E;

/// <summary>The server killed (no graceful stop) and started again on the same data folder.</summary>
[Collection(AppCollection.Name)]
public partial class RestartTests
{
    [Fact]
    public async Task ServerKilledMidRun_MarksItInterrupted_AndLosesNothingElse()
    {
        var data = Directory.CreateTempSubdirectory("learndl-restart-").FullName;
        try
        {
            Guid finished, cut;
            await using (var first = await AppProcess.StartAsync(AppContext.BaseDirectory, dataFolder: data))
            {
                using var http = Client(first);
                finished = await http.SubmitAsync(new { dataset = "builtin", images = 16, epochs = 1, device = "cpu" });
                await http.WaitForRunAsync(finished, states: "completed");
                cut = await http.SubmitAsync(new { dataset = "builtin", images = 2000, epochs = 1, device = "cpu" });
                await http.WaitForRunAsync(cut, states: "running");
                await first.KillAsync(); // like a power cut: nothing gets to clean up
            }
            await using var second = await AppProcess.StartAsync(AppContext.BaseDirectory, dataFolder: data);
            using var again = Client(second);
            var interrupted = await again.GetFromJsonAsync<JsonObject>($"/api/runs/{cut}");
            Assert.Equal("interrupted", interrupted!["status"]!.GetValue<string>());
            Assert.Contains("server stopped", interrupted["error"]!.GetValue<string>());
            var kept = await again.GetFromJsonAsync<JsonObject>($"/api/runs/{finished}");
            Assert.Equal("completed", kept!["status"]!.GetValue<string>());
            Assert.True(kept["result"]!["microAccuracy"]!.GetValue<double>() > 0);
            Assert.Equal(HttpStatusCode.OK, (await again.GetAsync($"/api/runs/{finished}/model")).StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, (await again.PostAsJsonAsync("/api/runs", new { images = 8, epochs = 1, device = "cpu" })).StatusCode);
        }
        finally { Directory.Delete(data, true); }
    }

    [Fact]
    public async Task ClassServerKilled_WithRunsWaitingOnAPausedQueue_KeepsTheStudentThePauseAndTheRunsInOrder()
    {
        var data = Directory.CreateTempSubdirectory("learndl-restart-class-").FullName;
        var (student, instructor) = (new CookieContainer(), new CookieContainer());
        try
        {
            Guid first, second;
            await using (var app = await StartClassAsync(data))
            {
                using var ada = Client(app, student);
                Assert.Equal("/lessons", (await PostFormAsync(ada, "/join", "/account/join", ("name", "Ada Lovelace"), ("returnUrl", "/lessons"))).Headers.Location!.ToString());
                using var teacher = Client(app, instructor);
                await PostFormAsync(teacher, "/instructor/sign-in", "/account/instructor-sign-in", ("passphrase", ClassAppServer.Passphrase), ("returnUrl", "/instructor"));
                Assert.Equal(HttpStatusCode.OK, (await teacher.PostAsync("/api/instructor/queue/cpu/pause", null)).StatusCode);
                first = await ada.SubmitAsync(new { dataset = "builtin", images = 8, epochs = 1, device = "cpu", seed = 1 });
                second = await ada.SubmitAsync(new { dataset = "builtin", images = 12, epochs = 1, device = "cpu", seed = 2 });
                await app.KillAsync(); // like a power cut: nothing gets to clean up
            }

            // A new home folder too, as a new container has: only the data folder is kept.
            await using var again = await StartClassAsync(data);
            using var back = Client(again, student);
            foreach (var id in new[] { first, second })
                Assert.Equal("queued", (await back.GetFromJsonAsync<JsonObject>($"/api/runs/{id}"))!["status"]!.GetValue<string>());
            using var teacherBack = Client(again, instructor);
            var cpu = (await teacherBack.GetFromJsonAsync<JsonObject>("/api/instructor/queue"))!["lanes"]!.AsArray().Single(l => l!["device"]!.GetValue<string>() == "cpu")!;
            Assert.True(cpu["paused"]!.GetValue<bool>());
            var waiting = cpu["waiting"]!.AsArray();
            Assert.Equal([first.ToString(), second.ToString()], waiting.Select(r => r!["id"]!.GetValue<string>()));
            Assert.All(waiting, r => Assert.Equal("Ada Lovelace", r!["ownerName"]!.GetValue<string>()));
            // Her name is still hers: choosing it again is not "already taken".
            Assert.Equal("/lessons", (await PostFormAsync(back, "/join", "/account/join", ("name", "Ada Lovelace"), ("returnUrl", "/lessons"))).Headers.Location!.ToString());

            Assert.Equal(HttpStatusCode.OK, (await teacherBack.PostAsync("/api/instructor/queue/cpu/resume", null)).StatusCode);
            foreach (var id in new[] { first, second })
                Assert.Equal("completed", (await back.WaitForRunAsync(id, TimeSpan.FromSeconds(180)))["status"]!.GetValue<string>());
        }
        finally { Directory.Delete(data, true); }
    }

    /// <summary>The class app on this data folder, with a home folder of its own (where keys would go if not kept in the data folder).</summary>
    private static async Task<AppProcess> StartClassAsync(string data)
    {
        var home = Directory.CreateDirectory(Path.Combine(data, "home-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        return await AppProcess.StartAsync(AppContext.BaseDirectory, new Dictionary<string, string> { ["Class:InstructorPassphrase"] = ClassAppServer.Passphrase },
            data, new Dictionary<string, string> { ["HOME"] = home });
    }

    /// <summary>Opens the page with the form, then posts it with its antiforgery token, as a browser does.</summary>
    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient http, string page, string action, params (string Key, string Value)[] fields)
    {
        var token = Token().Match(await http.GetStringAsync(page)).Groups[1].Value;
        var response = await http.PostAsync(action, new FormUrlEncodedContent([.. fields.Select(f => KeyValuePair.Create(f.Key, f.Value)), KeyValuePair.Create("__RequestVerificationToken", token)]));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();

    private static HttpClient Client(AppProcess app) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(app.BaseUrl) };

    /// <summary>A client that keeps its cookies in <paramref name="cookies"/>, across servers; redirects are answers, not followed.</summary>
    private static HttpClient Client(AppProcess app, CookieContainer cookies)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        return http;
    }
}
