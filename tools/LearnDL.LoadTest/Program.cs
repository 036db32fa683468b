using System.Text.Json;
using LearnDL.LoadTest;
using LearnDL.Testing;
using Microsoft.Playwright;

// The load test: the real app over loopback, real pages in headless Chromium, API clients.
// dotnet run --project tools/LearnDL.LoadTest -c Release -- [--rounds 2] [--images 1000] [--live-pages 4] [--pages 10] [--pollers 20] [--only watch,latency,rush,class,pixel-bombs,pulse]
//     [--students 50] [--restart] [--hold-idle SECONDS] [--max-image-pixels N] [--app FOLDER] [--out results.json] [--json] [--patience 300] [--attempts 3]
// class: --students headless students, each a real Blazor Server circuit, and one Chromium page, through lessons and the class's
//     shared Try-it run (ClassOfCircuits.cs); --restart: then the app is killed and started again, and every student must come back.
// --json: print the JSON document only (no table).
// --app: another build of the app to drive (the folder holding its LearnDL.Web.dll), an earlier version say.
// watch: the run unwatched, with 1 live page, with --live-pages live pages (started from the launcher, as a learner does),
//     and with a crowd of --pages pages + --pollers API pollers (--pages 0 --pollers 0 leaves the crowd out).
// --patience: seconds a watched run waits for a quiet machine; --attempts: how often a run disturbed by other programs is measured
//     (on a shared machine, small values keep the scenario short; the table says which runs were not clean).
// --max-image-pixels: the app's LearnDL:MaxImagePixels; pixel-bombs' "just under the limit" pictures are sized to it.
// --only workers (only when named: it needs PostgreSQL): worker machines, see WorkerLoad.cs; it runs before the app above starts, alone on the cores.
var options = Arguments.Parse(args);
void Log(string line) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
var workers = options.Only.Contains("workers") ? await new WorkerLoad(AppContext.BaseDirectory, options.App ?? AppContext.BaseDirectory, Log).MeasureAsync() : null;
if (workers is not null && options.Only.Count == 1)
{
    await WorkerLoad.WriteAsync(workers, options.Out);
    return;
}

// The scenarios that drive the shared app; class and pulse start apps of their own, so alone they need none beside them.
var shared = new[] { "watch", "latency", "rush", "pixel-bombs" }.Any(options.Runs);
await using var app = shared ? await AppProcess.StartAsync(options.App ?? AppContext.BaseDirectory,
    options.MaxImagePixels is { } max ? new Dictionary<string, string> { ["MaxImagePixels"] = max.ToString() } : null) : null;
if (app is not null) Log($"app on {app.BaseUrl} (pid {app.ProcessId}), data in {app.DataFolder}");
using var playwright = await Playwright.CreateAsync();
await using var browser = await Chromium.LaunchAsync(playwright);

var report = new Dictionary<string, object> { ["machine"] = new { cores = Environment.ProcessorCount, os = Environment.OSVersion.ToString() } };
if (workers is not null) report["workers"] = workers;
await using (var memory = app is null ? null : new MemorySampler(app))
{
    if (options.Runs("watch"))
    {
        var watched = new WatchedRuns(app!, browser, options.Images, options.LivePages, options.Pages, options.Pollers,
            TimeSpan.FromSeconds(options.Patience), options.Attempts);
        Log($"warming up: one {options.Images}-image run to generate the tiles");
        await watched.WarmUpAsync();
        Log($"the same run with no watcher, one live page, {watched.LivePagesLabel}, and a crowd ({watched.CrowdLabel})");
        var runs = await watched.MeasureAsync(options.Rounds, Log);
        report["watchedRuns"] = runs;
        report["watchedSummary"] = watched.Summarize(runs);
    }
    if (options.Runs("latency"))
    {
        Log("30 clients loading pages while a run streams");
        report["pageLatency"] = await new PageLatency(app!, 30, TimeSpan.FromSeconds(20)).MeasureAsync("sequential-and-parallel");
    }
    if (options.Runs("rush"))
    {
        var rush = new ClassRush(app!);
        Log("30 students press the same Try-it within a second");
        report["sameTryIt"] = await rush.SameTryItAsync(30);
        Log("10 students send 3 runs each at once (and one sends a 4th)");
        report["differentRequests"] = await rush.DifferentRequestsAsync(10, 3);
    }
    if (options.Runs("class"))
    {
        // A second app, in class mode, started afresh for the class (its memory is measured from its own baseline).
        Log($"a class of {options.Students} headless students on real circuits{(options.Restart ? ", then a restart storm" : "")}");
        report["class"] = await new ClassOfCircuits(browser, options.App ?? AppContext.BaseDirectory, Log) { Verbose = args.Contains("--verbose"), HoldIdle = TimeSpan.FromSeconds(options.HoldIdleSeconds) }.MeasureAsync(options.Students, options.Restart);
    }
    if (options.Runs("pulse"))
    {
        // A second app, in class mode, on loopback like the first: the instructor's pulse while a class answers.
        Log("class pulse: 30 students answer every check question, without and with the instructor's page");
        report["pulse"] = await new PulseLoad(browser, options.App ?? AppContext.BaseDirectory).MeasureAsync(30, Log);
    }
    if (options.Runs("pixel-bombs"))
    {
        var bombs = new PixelBombs(app!, browser);
        var side = (int)Math.Sqrt(options.MaxImagePixels ?? 40_000_000) - 20;
        Log("pixel bombs: a warm-up run, so the network is loaded and a model trained");
        var runId = await bombs.WarmUpAsync();
        var results = new List<PixelBombResult>
        {
            await bombs.ClassifyAsync(runId, "pixel bombs (30,000 x 30,000)", HostilePictures.PngBomb(), Log),
            await bombs.FolderRunAsync(Log),
            await bombs.ClassifyAsync(runId, $"pictures just under the limit ({side:N0} x {side:N0} RGBA)", HostilePictures.PngRgba(side), Log),
        };
        results.ForEach(r => Log(r.ToString()));
        report["pixelBombs"] = results;
    }
    if (app is not null)
    {
        Log("waiting 15 s for the server to settle");
        await Task.Delay(TimeSpan.FromSeconds(15));
        report["memory"] = memory!.Result(app.ResidentBytes());
    }
}

if (!options.Json)
{
    Summaries.PrintTable(report, Console.Out);
    WorkerLoad.PrintTable(report, Console.Out);
}
var json = JsonSerializer.Serialize(report, Student.Json);
Console.WriteLine(json);
if (options.Out is { } path) await File.WriteAllTextAsync(path, json);

internal sealed record Arguments(int Rounds, int Images, int LivePages, int Pages, int Pollers, IReadOnlySet<string> Only, string? Out, string? App, long? MaxImagePixels,
    int Patience, int Attempts, int Students, bool Restart, bool Json, int HoldIdleSeconds)
{
    public bool Runs(string part) => Only.Count == 0 || Only.Contains(part);

    public static Arguments Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int Int(string name, int fallback) => int.TryParse(Value(name), out var v) ? v : fallback;
        var only = (Value("--only") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        return new(Int("--rounds", 2), Int("--images", 1000), Int("--live-pages", 4), Int("--pages", 10), Int("--pollers", 20), only, Value("--out"), Value("--app"),
            long.TryParse(Value("--max-image-pixels"), out var max) ? max : null, Int("--patience", 300), Math.Max(1, Int("--attempts", 3)),
            Int("--students", 50), args.Contains("--restart"), args.Contains("--json"), Int("--hold-idle", 0));
    }
}
