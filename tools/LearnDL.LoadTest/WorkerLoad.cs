using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LearnDL.Testing;
using Npgsql;

namespace LearnDL.LoadTest;

/// <summary>
/// One small run on a free worker, from the moment this program posts it: when the API first says
/// running (the app handed it to the executor: a worker slot was free), when the worker took its one
/// attempt (learndl.attempts.started_at, PostgreSQL's clock, this machine's), when the API first shows
/// news from the worker (its name, or a stage its events reported), and when the run ended.
/// </summary>
public sealed record StartLatency(int Run, double RunningMs, double StartedAtMs, double DispatchedMs, double ClaimedMs, double WorkerNewsMs, double WorkerNamedMs,
    double TotalSeconds);

/// <summary>
/// The featurize speed of one 1,000-image run, on a worker or in the app's own process, and how busy the rest of the machine was:
/// OtherCores is the engine's own figure (every process but the one running the run: on a worker that includes the app and
/// PostgreSQL), ForeignCores what processes outside this scenario (not this program's children, not its PostgreSQL) used during the run.
/// </summary>
public sealed record FeaturizeRun(string Where, int Round, double FeaturizeImagesPerSecond, double FeaturizeWallSeconds, double OtherCores, double ForeignCores,
    double BusyBeforeCores, int Attempts);

/// <summary>
/// --only workers: runs on worker machines (issue 12), measured on this machine. A throwaway PostgreSQL,
/// the app in postgres mode and one real `learndl worker` process (1 slot, its own data folder), then:
/// (a) submit-to-started latency of small runs sent one at a time to the free worker; (b) the app's own
/// worker-event-to-hub latency (GET /api/workers eventLatency); (c) the featurize speed of a 1,000-image run
/// on the worker. Then all of that is stopped and the app starts alone in in-process mode for the same
/// 1,000-image run (builtin, 1 epoch, CPU; about 10 s of featurizing here), so the two never share the cores. Everything is stopped at the end, failure or not.
/// </summary>
public sealed class WorkerLoad(string workerFolder, string appFolder, Action<string> log)
{
    private const int LatencyRuns = 18;
    private const int SmallImages = 20;
    private const int FeaturizeImages = 1000;
    private const int Repeats = 2;
    private const string WorkerName = "load-cpu-1";
    /// <summary>Busier than this (cores, by processes outside this scenario) before or during a featurize run, the machine was not this scenario's alone.</summary>
    internal const double QuietCores = 0.25;

    private static object Small(int seed) => new { dataset = "builtin", images = SmallImages, epochs = 1, device = "cpu", seed };
    private static object Featurize => new { dataset = "builtin", images = FeaturizeImages, epochs = 1, device = "cpu", seed = 11 };

    public async Task<WorkersReport> MeasureAsync()
    {
        var latencies = new List<StartLatency>();
        var featurize = new List<FeaturizeRun>();
        JsonNode? afterSmallRuns, atEnd;

        log("workers: a throwaway PostgreSQL, the app in postgres mode, one `learndl worker` (cpu, 1 slot)");
        await using (var cluster = await PostgresCluster.StartAsync())
        await using (var app = await StartAppAsync(new() { ["Workers:Engine"] = "postgres" }, new() { ["ConnectionStrings__Jobs"] = cluster.ConnectionString }))
        await using (var worker = await StartWorkerAsync(cluster.ConnectionString))
        await using (var jobs = NpgsqlDataSource.Create(cluster.ConnectionString))
        {
            using var student = await new Student(app.BaseUrl).ArriveAsync();
            await WaitLiveAsync(student.Http, worker, TimeSpan.FromMinutes(4));
            log($"  worker {WorkerName} is live; a warm-up run, then {LatencyRuns} runs of {SmallImages} images one at a time");
            await StartLatencyAsync(student, jobs, 0, seed: 100); // the first run after start pays for loading: not counted
            for (var i = 1; i <= LatencyRuns; i++)
            {
                var one = await StartLatencyAsync(student, jobs, i, seed: 100 + i);
                latencies.Add(one);
                log($"    run {i}: running {one.RunningMs:0} ms, worker took it {one.ClaimedMs:0} ms, worker news on the API {one.WorkerNewsMs:0} ms, ended {one.TotalSeconds:0.0} s");
            }
            afterSmallRuns = await WorkersAsync(student.Http);
            log($"  eventLatency after the small runs: {afterSmallRuns?["eventLatency"]?.ToJsonString()}");

            log($"  featurize on the worker: a warm-up {FeaturizeImages}-image run, then {Repeats} measured");
            int[] ours = [Environment.ProcessId, PostmasterOf(cluster.Port) ?? Environment.ProcessId];
            await FeaturizeAsync(student, "warm-up", 0, ours);
            for (var round = 1; round <= Repeats; round++) featurize.Add(await FeaturizeAsync(student, "worker", round, ours));
            atEnd = await WorkersAsync(student.Http);
            log("  stopping the worker, the app and PostgreSQL");
        }

        log("workers: the app alone, in-process mode (nothing else of this scenario running)");
        await using (var app = await StartAppAsync(new(), new()))
        {
            using var student = await new Student(app.BaseUrl).ArriveAsync();
            log($"  featurize in-process: a warm-up {FeaturizeImages}-image run, then {Repeats} measured");
            int[] ours = [Environment.ProcessId];
            await FeaturizeAsync(student, "warm-up", 0, ours);
            for (var round = 1; round <= Repeats; round++) featurize.Add(await FeaturizeAsync(student, "in-process", round, ours));
        }
        return new WorkersReport(latencies, featurize, afterSmallRuns, atEnd);
    }

    /// <summary>The app, with its data folder deleted when it stops.</summary>
    private async Task<OwnedApp> StartAppAsync(Dictionary<string, string> settings, Dictionary<string, string> environment)
    {
        var folder = Directory.CreateTempSubdirectory("learndl-workerload-app-").FullName;
        try
        {
            var app = await AppProcess.StartAsync(appFolder, settings, folder, environment);
            log($"  app on {app.BaseUrl} (pid {app.ProcessId})");
            return new OwnedApp(app);
        }
        catch
        {
            DeleteQuietly(folder);
            throw;
        }
    }

    /// <summary>The worker (learndl.dll beside this program), stopped as a service manager stops it and its data folder deleted.</summary>
    private async Task<OwnedWorker> StartWorkerAsync(string jobs)
    {
        if (!File.Exists(Path.Combine(workerFolder, "learndl.dll")))
            throw new FileNotFoundException($"No learndl.dll in {workerFolder}: the load test's project references src/LearnDL.Cli, so a build puts it there.");
        var worker = await WorkerProcess.StartAsync(workerFolder, jobs, WorkerName);
        log($"  worker {WorkerName} joined (data in {worker.DataFolder})");
        return new OwnedWorker(worker);
    }

    private static async Task<JsonNode?> WorkersAsync(HttpClient http) => await http.GetFromJsonAsync<JsonNode>("/api/workers");

    private static async Task WaitLiveAsync(HttpClient http, OwnedWorker owned, TimeSpan timeout)
    {
        for (var deadline = DateTime.UtcNow + timeout; ; await Task.Delay(500))
        {
            var body = await WorkersAsync(http);
            var live = body?["workers"]?.AsArray().Any(w => w?["name"]?.GetValue<string>() == WorkerName && w["live"]?.GetValue<bool>() == true) == true;
            if (live && body?["capacity"]?["cpu"]?.GetValue<int>() >= 1) return;
            if (owned.Worker is { HasExited: true } worker) throw new InvalidOperationException($"The worker exited ({worker.ExitCode}) before it joined:\n{worker.Log}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The worker was not live on /api/workers within {timeout.TotalSeconds:0} s ({body?.ToJsonString()}):\n{owned.Worker.Log}");
        }
    }

    /// <summary>
    /// Posts a small run and polls it every 20 ms until the worker's news reaches the API, then until it
    /// ends; the database says when it was dispatched and when the worker took it.
    /// </summary>
    private static async Task<StartLatency> StartLatencyAsync(Student student, NpgsqlDataSource jobs, int index, int seed)
    {
        await Task.Delay(500); // the previous run's slot is free; let the worker's heartbeat say so
        var posted = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var (status, id, _) = await student.SubmitAsync(Small(seed));
        if (id is not { } runId) throw new InvalidOperationException($"Run {index} was not queued ({(int)status}).");
        double? running = null, news = null, named = null;
        JsonObject run;
        while (true)
        {
            run = await student.GetAsync(runId);
            var ms = clock.Elapsed.TotalMilliseconds;
            var state = run["status"]!.GetValue<string>();
            if (state != "queued") running ??= ms;
            var worker = run["worker"]?.GetValue<string>();
            if (worker is not null) named ??= ms;
            if (worker is not null || run["progress"]?["stage"] is not null) news ??= ms;
            if (RunPolling.Ended.Contains(state) || (news is not null && named is not null)) break;
            if (clock.Elapsed > TimeSpan.FromMinutes(3)) throw new TimeoutException($"Run {runId} is still {state} after 3 minutes.");
            await Task.Delay(20);
        }
        run = await student.WaitFinishedAsync(runId, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        var total = clock.Elapsed.TotalSeconds;
        if (run["status"]!.GetValue<string>() != "completed") throw new InvalidOperationException($"Run {runId} ended {run["status"]}: {run["error"]}");

        await using var command = jobs.CreateCommand(
            "SELECT d.dispatched_at, a.started_at FROM learndl.dispatches d JOIN learndl.attempts a USING (run_id) WHERE run_id = @id");
        command.Parameters.AddWithValue("id", runId);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) throw new InvalidOperationException($"Run {runId} has no dispatch or attempt row.");
        double Since(DateTimeOffset at) => (at - posted).TotalMilliseconds;
        var startedAt = run["startedAt"]!.GetValue<DateTimeOffset>();
        return new(index, running ?? double.NaN, Since(startedAt), Since(reader.GetFieldValue<DateTimeOffset>(0)), Since(reader.GetFieldValue<DateTimeOffset>(1)),
            news ?? double.NaN, named ?? double.NaN, total);
    }

    /// <summary>
    /// One 1,000-image run. A measured one waits (up to 2 minutes) for a quiet machine first, and is run again (three tries in all) when
    /// processes outside this scenario took more than <see cref="QuietCores"/> while it featurized; the cleanest one counts.
    /// </summary>
    private async Task<FeaturizeRun> FeaturizeAsync(Student student, string where, int round, IReadOnlyCollection<int> ours)
    {
        FeaturizeRun? best = null;
        for (var attempt = 1; attempt <= (round == 0 ? 1 : 3); attempt++)
        {
            await Task.Delay(1000);
            var waited = Stopwatch.StartNew();
            double busyBefore;
            // Other programs on this machine (a build, another load test) would make the figure theirs: wait a while for a quiet moment.
            while ((busyBefore = await MachineCpu.BusyCoresAsync(TimeSpan.FromSeconds(2))) > QuietCores && round > 0 && waited.Elapsed < TimeSpan.FromMinutes(2)) { }
            if (waited.Elapsed > TimeSpan.FromSeconds(3)) log($"    waited {waited.Elapsed.TotalSeconds:0} s for other programs to quieten ({busyBefore:0.00} cores busy)");
            var (machineBefore, oursBefore, clock) = (MachineCpu.MachineBusySeconds(), MachineCpu.TreeCpuSeconds(ours), Stopwatch.StartNew());
            var (status, id, _) = await student.SubmitAsync(Featurize);
            if (id is not { } runId) throw new InvalidOperationException($"The {FeaturizeImages}-image run was not queued ({(int)status}).");
            var run = await student.WaitFinishedAsync(runId, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
            var foreign = Math.Max(0, (MachineCpu.MachineBusySeconds() - machineBefore) - (MachineCpu.TreeCpuSeconds(ours) - oursBefore)) / clock.Elapsed.TotalSeconds;
            if (run["status"]!.GetValue<string>() != "completed") throw new InvalidOperationException($"Run {runId} ended {run["status"]}: {run["error"]}");
            var result = new FeaturizeRun(where, round, Student.Number(run, "result.featurizeImagesPerSecond"), Student.Number(run, "result.featurizeWallSeconds"),
                Student.Number(run, "result.featurizeCpu.otherCpuSeconds") / Student.Number(run, "result.featurizeCpu.wallSeconds"), foreign, busyBefore, attempt);
            log($"    {where}{(round > 0 ? $" round {round}" : "")}{(attempt > 1 ? $" (attempt {attempt})" : "")}: {result.FeaturizeImagesPerSecond:0.0} img/s on {run["worker"]} " +
                $"(programs outside this scenario {foreign:0.00} cores during the run, {busyBefore:0.00} busy just before; the engine saw {result.OtherCores:0.00} other cores)" +
                (foreign > QuietCores ? ": not clean" : ""));
            if (best is null || result.ForeignCores < best.ForeignCores) best = result with { Attempts = attempt };
            else best = best with { Attempts = attempt };
            if (foreign <= QuietCores) break;
        }
        return best!;
    }

    /// <summary>The postmaster of the cluster on <paramref name="port"/>: its command line names the port.</summary>
    private static int? PostmasterOf(int port)
    {
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid)) continue;
            try
            {
                var args = File.ReadAllText(Path.Combine(folder, "cmdline")).Split('\0');
                if (Path.GetFileName(args[0]) == "postgres" && args.Contains("-D") && args.SkipWhile(a => a != "-p").Skip(1).FirstOrDefault() == port.ToString()) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return null;
    }

    internal static void DeleteQuietly(string folder)
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>The table rows of this scenario, when the report has it.</summary>
    public static void PrintTable(IReadOnlyDictionary<string, object> report, TextWriter output)
    {
        if (!report.TryGetValue("workers", out var value) || value is not WorkersReport workers) return;
        output.WriteLine();
        output.WriteLine("| workers | figure |");
        output.WriteLine("| --- | --- |");
        foreach (var p in workers.Summary.GetType().GetProperties())
            output.WriteLine($"| {p.Name} | {p.GetValue(workers.Summary) switch { double d => d.ToString("0.###"), IEnumerable<double> l => string.Join(", ", l.Select(d => d.ToString("0.###"))), var v => v?.ToString() }} |");
        foreach (var r in workers.FeaturizeRuns)
            output.WriteLine($"| featurize, {r.Where}, round {r.Round} | {r.FeaturizeImagesPerSecond:0.0} img/s ({r.FeaturizeWallSeconds:0.0} s); programs outside this scenario " +
                $"{r.ForeignCores:0.00} cores during the run ({r.BusyBeforeCores:0.00} busy just before; attempt {r.Attempts}); the engine saw {r.OtherCores:0.00} other cores |");
        output.WriteLine();
    }

    /// <summary>--only workers: the table, then the JSON (to --out too), as the whole load test writes them.</summary>
    public static async Task WriteAsync(WorkersReport workers, string? outPath)
    {
        var report = new Dictionary<string, object>
        {
            ["machine"] = new { cores = Environment.ProcessorCount, os = Environment.OSVersion.ToString() },
            ["workers"] = workers,
        };
        PrintTable(report, Console.Out);
        var json = JsonSerializer.Serialize(report, Student.Json);
        Console.WriteLine(json);
        if (outPath is not null) await File.WriteAllTextAsync(outPath, json);
    }

    /// <summary>A worker drained as Ctrl+C or a service manager does (it leaves the register), killed if still there after 20 s.</summary>
    private sealed class OwnedWorker(WorkerProcess worker) : IAsyncDisposable
    {
        public WorkerProcess Worker => worker;

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (!worker.HasExited)
                {
                    worker.Interrupt();
                    try { await worker.WaitForExitAsync(TimeSpan.FromSeconds(20)); }
                    catch (OperationCanceledException) { } // the kill below
                }
            }
            finally
            {
                await worker.DisposeAsync();
                DeleteQuietly(worker.DataFolder);
            }
        }
    }

    private sealed class OwnedApp(AppProcess app) : IAsyncDisposable
    {
        public string BaseUrl => app.BaseUrl;

        public async ValueTask DisposeAsync()
        {
            await app.DisposeAsync();
            DeleteQuietly(app.DataFolder);
        }
    }
}

/// <summary>What --only workers found: each run, the app's event latency, and the figures the goals are about.</summary>
public sealed class WorkersReport(IReadOnlyList<StartLatency> startLatency, IReadOnlyList<FeaturizeRun> featurizeRuns, JsonNode? afterSmallRuns, JsonNode? atEnd)
{
    public IReadOnlyList<StartLatency> StartLatency => startLatency;
    public IReadOnlyList<FeaturizeRun> FeaturizeRuns => featurizeRuns;
    /// <summary>GET /api/workers right after the small runs, and after the 1,000-image runs.</summary>
    public JsonNode? WorkersAfterSmallRuns => afterSmallRuns;
    public JsonNode? WorkersAtEnd => atEnd;

    /// <summary>
    /// Times are from the moment this program posted the run. The start goal (p95 under 1 s) is read on postToWorkerNews: the first
    /// poll (every 20 ms) at which the API shows the worker's own news (its name, or a stage its events reported); postToRunning is the
    /// app handing the run over (a slot was free), postToWorkerClaim the worker taking its attempt (the attempts row, PostgreSQL's clock).
    /// The event goal (p95 under 0.5 s) is the app's own figure. The featurize ratio is the mean of the worker's runs over the mean of
    /// the in-process runs; by round, run i over run i.
    /// </summary>
    public object Summary
    {
        get
        {
            static double Percentile(IEnumerable<double> values, double p)
            {
                var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
                if (sorted.Count == 0) return double.NaN;
                var rank = p * (sorted.Count - 1); // linear between closest ranks
                var low = (int)Math.Floor(rank);
                return Math.Round(sorted[low] + (sorted[Math.Min(low + 1, sorted.Count - 1)] - sorted[low]) * (rank - low), 1);
            }
            List<double> Of(Func<StartLatency, double> pick) => [.. startLatency.Select(pick)];
            var worker = featurizeRuns.Where(r => r.Where == "worker").OrderBy(r => r.Round).ToList();
            var local = featurizeRuns.Where(r => r.Where == "in-process").OrderBy(r => r.Round).ToList();
            var ratios = worker.Zip(local, (w, l) => Math.Round(w.FeaturizeImagesPerSecond / l.FeaturizeImagesPerSecond, 3)).ToList();
            var latency = afterSmallRuns?["eventLatency"];
            var p95News = Percentile(Of(s => s.WorkerNewsMs), 0.95);
            var eventP95 = latency?["p95Milliseconds"]?.GetValue<double>() ?? double.NaN;
            var ratio = worker.Count == 0 || local.Count == 0 ? double.NaN
                : worker.Average(r => r.FeaturizeImagesPerSecond) / local.Average(r => r.FeaturizeImagesPerSecond);
            return new
            {
                smallRuns = startLatency.Count,
                postToRunningP50Ms = Percentile(Of(s => s.RunningMs), 0.5),
                postToRunningP95Ms = Percentile(Of(s => s.RunningMs), 0.95),
                postToStartedAtP95Ms = Percentile(Of(s => s.StartedAtMs), 0.95),
                postToWorkerClaimP50Ms = Percentile(Of(s => s.ClaimedMs), 0.5),
                postToWorkerClaimP95Ms = Percentile(Of(s => s.ClaimedMs), 0.95),
                postToWorkerNewsP50Ms = Percentile(Of(s => s.WorkerNewsMs), 0.5),
                postToWorkerNewsP95Ms = p95News,
                postToWorkerNamedP95Ms = Percentile(Of(s => s.WorkerNamedMs), 0.95),
                startTargetMet = p95News < 1000,
                eventLatencyEvents = latency?["events"]?.GetValue<int>() ?? 0,
                eventLatencyP50Ms = latency?["p50Milliseconds"]?.GetValue<double>() ?? double.NaN,
                eventLatencyP95Ms = eventP95,
                eventTargetMet = eventP95 < 500,
                eventLatencyP95MsAtEnd = atEnd?["eventLatency"]?["p95Milliseconds"]?.GetValue<double>() ?? double.NaN,
                workerImagesPerSecond = worker.Select(r => Math.Round(r.FeaturizeImagesPerSecond, 1)).ToList(),
                inProcessImagesPerSecond = local.Select(r => Math.Round(r.FeaturizeImagesPerSecond, 1)).ToList(),
                workerOverInProcess = Math.Round(ratio, 3),
                workerOverInProcessByRound = ratios,
                featurizeTargetMet = ratio >= 0.95,
                // False when some counted run shared the cores with programs outside this scenario even on its last try: read the ratio with care.
                featurizeRunsClean = featurizeRuns.All(r => r.ForeignCores <= WorkerLoad.QuietCores),
            };
        }
    }
}
