using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LearnDL.Testing;

namespace LearnDL.E2E;

/// <summary>The server killed mid-run (no graceful stop) and started again on the same data folder.</summary>
[Collection(AppCollection.Name)]
public class RestartTests
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
                finished = await SubmitAsync(http, 16);
                await WaitAsync(http, finished, "completed");
                cut = await SubmitAsync(http, 2000);
                await WaitAsync(http, cut, "running");
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

    private static HttpClient Client(AppProcess app) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(app.BaseUrl) };

    private static async Task<Guid> SubmitAsync(HttpClient http, int images)
    {
        var response = await http.PostAsJsonAsync("/api/runs", new { dataset = "builtin", images, epochs = 1, device = "cpu" });
        return Guid.Parse((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

    private static async Task WaitAsync(HttpClient http, Guid id, string state)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(120); DateTime.UtcNow < deadline; await Task.Delay(100))
            if ((await http.GetFromJsonAsync<JsonObject>($"/api/runs/{id}"))!["status"]!.GetValue<string>() == state) return;
        throw new TimeoutException($"Run {id} never became {state}.");
    }
}
