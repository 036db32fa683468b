using LearnDL.Testing;
using Microsoft.Playwright;

namespace LearnDL.LoadTest;

public sealed record WatchedRun(string Watchers, int Round, double FeaturizeImagesPerSecond, double ServerCpuSeconds, double OtherCores, double Accuracy);

/// <summary>
/// The same run (built-in tiles, CPU) with no watcher, with one live page, and with a crowd
/// (live pages in headless Chromium plus API pollers): how fast it featurizes, and what the server
/// process spends (CPU-seconds from /proc) while it runs.
/// </summary>
public sealed class WatchedRuns(AppProcess app, IBrowser browser, int images, int pages, int pollers)
{
    private object Request => new { dataset = "builtin", images, epochs = 1, device = "cpu", seed = 11 };

    /// <summary>
    /// Generates the tiles, loads the network and compiles the pages' code once, watched by a page,
    /// so timed runs measure a server that has been up a while, not its first minute.
    /// </summary>
    public async Task WarmUpAsync() => await OneAsync("warm-up", 0, 1, 1);

    public async Task<List<WatchedRun>> MeasureAsync(int rounds, Action<string> log)
    {
        var results = new List<WatchedRun>();
        for (int round = 1; round <= rounds; round++)
        {
            results.Add(await OneAsync("none", round, 0, 0));
            log($"  round {round}: no watcher {results[^1].FeaturizeImagesPerSecond:0.0} img/s");
            results.Add(await OneAsync("1 page", round, 1, 0));
            log($"  round {round}: one page {results[^1].FeaturizeImagesPerSecond:0.0} img/s");
            results.Add(await OneAsync($"{pages} pages + {pollers} pollers", round, pages, pollers));
            log($"  round {round}: {pages + pollers} watchers {results[^1].FeaturizeImagesPerSecond:0.0} img/s");
        }
        return results;
    }

    /// <summary>
    /// With pages, the run is started the way a learner starts it: the launcher is open, Start is
    /// pressed, and the app moves to the run page. Further pages open the run page as classmates would.
    /// </summary>
    private async Task<WatchedRun> OneAsync(string label, int round, int livePages, int apiPollers)
    {
        using var student = new Student(app.BaseUrl);
        await Task.Delay(1000); // let the previous run's pages close
        await using var crowd = new Crowd(app.BaseUrl, browser);
        var launcher = livePages > 0 ? await crowd.OpenLauncherAsync($"/runs/new?dataset=builtin&images={images}&epochs=1&device=cpu&seed=11") : null;
        var cpuBefore = app.CpuSeconds();
        var id = launcher is not null ? await Crowd.LaunchAsync(launcher) : (await student.SubmitAsync(Request)).Id!.Value;
        await crowd.JoinAsync(id, livePages - 1, apiPollers);
        var run = await student.WaitFinishedAsync(id, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        var cpu = app.CpuSeconds() - cpuBefore;
        return new(label, round, Student.Number(run, "result.featurizeImagesPerSecond"), cpu,
            Student.Number(run, "result.featurizeCpu.otherCpuSeconds") / Student.Number(run, "result.featurizeCpu.wallSeconds"),
            Student.Number(run, "result.microAccuracy"));
    }

}

/// <summary>Live pages on a run in Chromium, each in its own browser context, and API clients polling it, until disposed.</summary>
public sealed class Crowd(string baseUrl, IBrowser browser) : IAsyncDisposable
{
    private readonly List<IBrowserContext> _contexts = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pollers = [];

    public async Task<IPage> OpenLauncherAsync(string path)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(baseUrl + path);
        await page.Locator("[data-interactive=yes]").WaitForAsync();
        return page;
    }

    /// <summary>Presses Start on the launcher and returns the run the app moved to.</summary>
    public static async Task<Guid> LaunchAsync(IPage launcher)
    {
        await launcher.Locator("#launch").ClickAsync();
        await launcher.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/runs/[0-9a-f-]{36}$"));
        return Guid.Parse(launcher.Url[^36..]);
    }

    public async Task JoinAsync(Guid runId, int pages, int pollers)
    {
        for (int i = 0; i < pages; i++) await (await NewPageAsync()).GotoAsync($"{baseUrl}/runs/{runId}");
        for (int i = 0; i < pollers; i++) _pollers.Add(PollAsync(runId, _stop.Token));
    }

    private async Task<IPage> NewPageAsync()
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        _contexts.Add(context);
        return await context.NewPageAsync();
    }

    private async Task PollAsync(Guid runId, CancellationToken stop)
    {
        using var student = new Student(baseUrl);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await student.GetAsync(runId);
                await Task.Delay(500, stop);
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_pollers);
        foreach (var context in _contexts) await context.CloseAsync();
    }
}
