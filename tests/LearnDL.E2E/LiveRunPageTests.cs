using System.Text.Json;
using Microsoft.Playwright;

namespace LearnDL.E2E;

/// <summary>
/// The live run page a learner watches while the run shares their laptop's cores: light charts that grow,
/// nothing drawn while the tab is hidden (and the latest state once it is back), Plotly once the run is done.
/// </summary>
[Collection(AppCollection.Name)]
public class LiveRunPageTests(AppServer app)
{
    [Fact]
    public async Task LiveRunPage_ShowsGrowingChartsWithoutPlotly_PausesWhileHidden_AndDrawsThePlotlyChartsWhenDone()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync($"{app.BaseUrl}/runs/new?dataset=builtin&images=2000&epochs=2&device=cpu");
        await page.WaitForCircuitAsync();
        await page.LaunchAsync(app);
        var runId = page.Url[^36..];

        // Running: the charts are SVG drawn by the page, with points; Plotly's script is not even loaded.
        var throughput = page.Locator("[data-testid=live-chart][data-chart=throughput]");
        await Assertions.Expect(throughput.Locator("polyline")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await page.WaitForFunctionAsync("() => +document.querySelector('[data-testid=live-chart][data-chart=throughput]').dataset.points >= 2", null, new() { Timeout = 60_000 });
        Assert.False(await page.EvaluateAsync<bool>("() => !!window.Plotly"));
        await page.AssertAccessibleAsync("a running run's page");

        // Hidden (as when the learner switches tabs): the page stops drawing progress although the run goes on...
        await SetVisibilityAsync(page, "hidden");
        await page.WaitForTimeoutAsync(1500); // an update already on its way lands first
        var shown = int.Parse((await page.Locator("[data-progress]").GetAttributeAsync("data-progress"))!);
        var later = Math.Min(shown + 10, 100);
        Assert.True(later > shown, "the run had featurized every image before the page was hidden");
        for (var deadline = DateTime.UtcNow.AddSeconds(60); await PercentAsync(page, runId) < later && DateTime.UtcNow < deadline;)
            await page.WaitForTimeoutAsync(250);
        Assert.True(await PercentAsync(page, runId) >= later, "the run did not progress while the page was hidden");
        Assert.Equal(shown.ToString(), await page.Locator("[data-progress]").GetAttributeAsync("data-progress"));

        // ...and catches up as soon as it is shown again.
        await SetVisibilityAsync(page, "visible");
        await page.WaitForFunctionAsync($"() => +document.querySelector('[data-progress]').dataset.progress >= {later}", null, new() { Timeout = 10_000 });

        // Done: the full Plotly charts, every live chart gone.
        await Assertions.Expect(page.Locator("[data-status=Completed]")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        foreach (var chart in new[] { "throughput", "images", "epochs", "confusion" })
            await Assertions.Expect(page.Locator($"[data-chart={chart}] svg.main-svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=live-chart]")).ToHaveCountAsync(0);
    }

    /// <summary>What the browser reports when a tab goes to the background or comes back (headless tabs are always visible).</summary>
    private static Task SetVisibilityAsync(IPage page, string state) => page.EvaluateAsync(
        "state => { Object.defineProperty(document, 'visibilityState', { value: state, configurable: true }); document.dispatchEvent(new Event('visibilitychange')); }",
        state);

    private static async Task<double> PercentAsync(IPage page, string runId)
    {
        var response = await page.Context.APIRequest.GetAsync($"{new Uri(page.Url).GetLeftPart(UriPartial.Authority)}/api/runs/{runId}");
        using var run = JsonDocument.Parse(await response.TextAsync());
        return run.RootElement.GetProperty("progress").GetProperty("percent").GetDouble();
    }
}
