using LearnDL.Testing;
using Microsoft.Playwright;

namespace LearnDL.LoadTest;

public sealed record WatchedRun(string Watchers, int Round, double FeaturizeImagesPerSecond, double ServerCpuSeconds, double BrowserCpuSeconds,
    double OtherCores, double BusyBeforeCores, double Accuracy, double FeaturizeSeconds, int Attempt)
{
    /// <summary>Cores that programs other than the app and this test's browser took while the run featurized (at least).</summary>
    public double ForeignCores => Math.Max(0, OtherCores - BrowserCpuSeconds / FeaturizeSeconds);
}

/// <summary>
/// The same run (built-in tiles, CPU) with no watcher, with one live page, with a few live pages, and
/// with a crowd (live pages in headless Chromium plus API pollers): how fast it featurizes, what the
/// server process spends (CPU-seconds from /proc) while it runs, and what the browser spends. On a
/// learner's laptop the browser shares the cores with the run, so its cost is the run's loss.
/// </summary>
/// <param name="patience">How long a run waits for a quiet machine before it starts anyway.</param>
/// <param name="maxAttempts">How many times a run that was not clean is measured (the cleanest is kept).</param>
public sealed class WatchedRuns(AppProcess app, IBrowser browser, int images, int livePages, int crowdPages, int pollers, TimeSpan patience, int maxAttempts)
{
    private object Request => new { dataset = "builtin", images, epochs = 1, device = "cpu", seed = 11 };

    public string LivePagesLabel => $"{livePages} pages (tabs)";
    public string CrowdLabel => $"{crowdPages} pages + {pollers} pollers";

    /// <summary>
    /// Generates the tiles, loads the network and compiles the pages' code once, watched by a page,
    /// so timed runs measure a server that has been up a while, not its first minute.
    /// </summary>
    public async Task WarmUpAsync() => await OneAsync("warm-up", 0, 1, 0);

    public async Task<List<WatchedRun>> MeasureAsync(int rounds, Action<string> log)
    {
        var results = new List<WatchedRun>();
        // On a shared machine another program may start during a run: such a run is measured again (at most
        // `attempts` in all), and the cleanest attempt is kept (the table says which, and what else ran).
        async Task Measure(string label, int round, int pages, int apiPollers, bool tabs = false)
        {
            var attempts = new List<WatchedRun>();
            for (int attempt = 1; attempt <= maxAttempts; attempt++)
            {
                var run = await OneAsync(label, round, pages, apiPollers, tabs, log) with { Attempt = attempt };
                attempts.Add(run);
                var clean = run.BusyBeforeCores <= MachineCpu.Quiet && run.ForeignCores <= MachineCpu.Quiet;
                log($"  round {round}: {label}: {run.FeaturizeImagesPerSecond:0.0} img/s, browser {run.BrowserCpuSeconds:0.0} CPU-s" +
                    (clean ? "" : $" (not clean: other programs kept {run.BusyBeforeCores:0.0} cores busy just before, {run.ForeignCores:0.0} while it featurized)"));
                if (clean) break;
            }
            results.Add(attempts.MinBy(r => Math.Max(r.BusyBeforeCores, r.ForeignCores))!);
        }
        for (int round = 1; round <= rounds; round++)
        {
            await Measure("none", round, 0, 0);
            await Measure("1 page", round, 1, 0);
            if (livePages > 1) await Measure(LivePagesLabel, round, livePages, 0, tabs: true);
            if (crowdPages + pollers > 0) await Measure(CrowdLabel, round, crowdPages, pollers);
        }
        return results;
    }

    /// <summary>
    /// With pages, the run is started the way a learner starts it: the launcher is open, Start is
    /// pressed, and the app moves to the run page. Further pages open the run page as classmates would.
    /// </summary>
    /// <param name="tabs">Further pages are more tabs of the learner's browser (true), or classmates' browsers (false).</param>
    private async Task<WatchedRun> OneAsync(string label, int round, int pages, int apiPollers, bool tabs = false, Action<string>? log = null)
    {
        using var student = new Student(app.BaseUrl);
        await Task.Delay(1000); // let the previous run's pages close
        await using var crowd = new Crowd(app.BaseUrl, browser);
        var launcher = pages > 0 ? await crowd.OpenLauncherAsync($"/runs/new?dataset=builtin&images={images}&epochs=1&device=cpu&seed=11") : null;
        var busyBefore = await MachineCpu.QuietAsync(patience, log);
        var (cpuBefore, browserBefore) = (app.CpuSeconds(), MachineCpu.BrowserSeconds(app.ProcessId));
        var id = launcher is not null ? await Crowd.LaunchAsync(launcher) : (await student.SubmitAsync(Request)).Id!.Value;
        if (tabs && launcher is not null) await Crowd.OpenTabsAsync(launcher, $"{app.BaseUrl}/runs/{id}", pages - 1);
        else await crowd.JoinAsync(id, pages - 1, apiPollers);
        var run = await student.WaitFinishedAsync(id, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        var (cpu, browserCpu) = (app.CpuSeconds() - cpuBefore, MachineCpu.BrowserSeconds(app.ProcessId) - browserBefore);
        return new(label, round, Student.Number(run, "result.featurizeImagesPerSecond"), cpu, browserCpu,
            Student.Number(run, "result.featurizeCpu.otherCpuSeconds") / Student.Number(run, "result.featurizeCpu.wallSeconds"),
            busyBefore, Student.Number(run, "result.microAccuracy"), Student.Number(run, "result.featurizeCpu.wallSeconds"), 1);
    }

    /// <summary>The figures the targets are about: each ratio compares runs of one round, minutes apart on one machine.</summary>
    public object Summarize(IReadOnlyList<WatchedRun> runs)
    {
        // Null when that kind of run was left out (JSON has no NaN).
        static double? Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count == 0 ? null : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }
        List<WatchedRun> Of(string label) => [.. runs.Where(r => r.Watchers == label)];
        List<double> Ratios(string label, Func<WatchedRun, WatchedRun, double> ratio) =>
            [.. Of("none").Zip(Of(label)).Select(p => ratio(p.First, p.Second))];
        double Speed(WatchedRun none, WatchedRun watched) => watched.FeaturizeImagesPerSecond / none.FeaturizeImagesPerSecond;
        var onePage = Ratios("1 page", Speed);
        var somePages = Ratios(LivePagesLabel, Speed);
        var crowdCpu = Ratios(CrowdLabel, (none, crowd) => crowd.ServerCpuSeconds / none.ServerCpuSeconds);
        return new
        {
            images,
            unwatchedImagesPerSecond = Median(Of("none").Select(r => r.FeaturizeImagesPerSecond)),
            onePageImagesPerSecond = Median(Of("1 page").Select(r => r.FeaturizeImagesPerSecond)),
            onePageSpeedRatio = Median(onePage),
            onePageSpeedRatios = onePage,
            onePageTargetMet = Median(onePage) >= 0.95,
            onePageBrowserCpuSeconds = Median(Of("1 page").Select(r => r.BrowserCpuSeconds)),
            livePages = LivePagesLabel,
            livePagesImagesPerSecond = Median(Of(LivePagesLabel).Select(r => r.FeaturizeImagesPerSecond)),
            livePagesSpeedRatio = Median(somePages),
            livePagesSpeedRatios = somePages,
            livePagesTargetMet = Median(somePages) >= 0.85, // the target is set for four pages
            livePagesBrowserCpuSeconds = Median(Of(LivePagesLabel).Select(r => r.BrowserCpuSeconds)),
            crowd = $"{crowdPages} Chromium pages + {pollers} API pollers",
            crowdImagesPerSecond = Median(Of(CrowdLabel).Select(r => r.FeaturizeImagesPerSecond)),
            unwatchedServerCpuSeconds = Median(Of("none").Select(r => r.ServerCpuSeconds)),
            crowdServerCpuSeconds = Median(Of(CrowdLabel).Select(r => r.ServerCpuSeconds)),
            crowdServerCpuRatio = Median(crowdCpu),
            crowdServerCpuRatios = crowdCpu,
            crowdTargetMet = Median(crowdCpu) is not { } c || c <= 1.1,
        };
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
        // Blazor moves within the page (pushState): waiting for a "load" event here timed out now and then.
        await launcher.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/runs/[0-9a-f-]{36}$"), new() { WaitUntil = WaitUntilState.Commit });
        return Guid.Parse(launcher.Url[^36..]);
    }

    /// <summary>Opens the run in more tabs of the launcher's browser, as one learner does (a browser context is a window of its own).</summary>
    public static async Task OpenTabsAsync(IPage launcher, string url, int tabs)
    {
        for (int i = 0; i < tabs; i++) await (await launcher.Context.NewPageAsync()).GotoAsync(url);
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
