using System.Net;
using LearnDL.Testing;
using LearnDL.Training.Datasets;

namespace LearnDL.E2E;

/// <summary>The app as a host runs it, its /metrics open to this machine's Prometheus (127.0.0.1 is the configured network).</summary>
public sealed class MetricsServer : AppServer
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Metrics:AllowedNetworks:0"] = "127.0.0.1/32" };
}

/// <summary>
/// A real Prometheus scrapes the real app during runs, as a host would, and its HTTP API shows LearnDL's own series
/// with the values the class produced: a tab online, a run waiting, images per second, runs started and ended by outcome.
/// </summary>
public sealed class ObservabilityTests(MetricsServer app) : IClassFixture<MetricsServer>
{
    [Fact]
    public async Task Prometheus_ScrapingTheApp_SeesTheClassesCircuitsQueueAndRunsByOutcome()
    {
        await using var prometheus = await PrometheusServer.StartAsync(new Uri(app.BaseUrl).Authority);
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        await prometheus.WaitForAsync("up{job=\"learndl\"}", 1);
        await prometheus.WaitForAsync("learndl_workers{state=\"live\"}", 1);

        // A tab open on the app is a circuit online; closing it takes it off.
        var page = await app.NewPageAsync();
        await page.GotoAsync($"{app.BaseUrl}/lessons");
        await prometheus.WaitForAsync("learndl_circuits_online", 1);

        var small = await http.SubmitAsync(new { dataset = BuiltinDataset.Name, images = 16, epochs = 1, seed = 31 });
        Assert.Equal("completed", (await http.WaitForRunAsync(small, TimeSpan.FromSeconds(120)))["status"]!.GetValue<string>());

        // One run on the CPU's only slot, featurizing; one waiting behind it.
        var big = await http.SubmitAsync(new { dataset = BuiltinDataset.Name, images = 2000, epochs = 1, seed = 32 });
        await http.WaitForRunAsync(big, TimeSpan.FromSeconds(60), states: "running");
        var waiting = await http.SubmitAsync(new { dataset = BuiltinDataset.Name, images = 16, epochs = 1, seed = 33 });
        await prometheus.WaitForAsync("learndl_queue_length{device=\"cpu\"}", 1);
        await prometheus.WaitForAsync("learndl_runs_running{device=\"cpu\"}", 1);
        await prometheus.WaitForAsync("count(learndl_images_per_second{device=\"cpu\"} > 0)", 1, TimeSpan.FromSeconds(120));

        foreach (var id in new[] { waiting, big }) Assert.Equal(HttpStatusCode.Accepted, (await http.DeleteAsync($"/api/runs/{id}")).StatusCode);
        foreach (var id in new[] { waiting, big }) Assert.Equal("cancelled", (await http.WaitForRunAsync(id, TimeSpan.FromSeconds(60)))["status"]!.GetValue<string>());
        await page.CloseAsync();

        await prometheus.WaitForAsync("learndl_runs_ended_total{outcome=\"completed\",device=\"cpu\"}", 1);
        await prometheus.WaitForAsync("learndl_runs_ended_total{outcome=\"cancelled\",device=\"cpu\"}", 2);
        await prometheus.WaitForAsync("sum(learndl_runs_ended_total)", 3);
        // The waiting run never started.
        await prometheus.WaitForAsync("learndl_runs_started_total{device=\"cpu\"}", 2);
        await prometheus.WaitForAsync("learndl_queue_length{device=\"cpu\"}", 0);
        await prometheus.WaitForAsync("learndl_images_per_second{device=\"cpu\"}", 0);
        await prometheus.WaitForAsync("learndl_circuits_online", 0);
    }
}
