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

    private static HttpClient Client(AppProcess app) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(app.BaseUrl) };
}
