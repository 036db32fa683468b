using System.Diagnostics;
using System.Text.Json.Serialization;
using LearnDL.Testing;
using LearnDL.Testing.Circuits;
using Microsoft.Playwright;

namespace LearnDL.LoadTest;

/// <summary>What a class of real circuits measured (the JSON fields other tools read keep these names).</summary>
public sealed record ClassResult(
    int Students,
    double P50ClickToRenderMs, double P95ClickToRenderMs, double P99ClickToRenderMs,
    double MemoryPerIdleCircuitMb, double MemoryPerWatchingCircuitMb,
    int CircuitsDropped, int Errors,
    double? BrowserP95ClickToRenderMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? SecondsToLastBack,
    ClassDetails Details);

/// <summary>The figures behind the headline ones.</summary>
public sealed record ClassDetails(
    int Clicks, double MaxClickToRenderMs, IReadOnlyDictionary<string, double> P95ByStep, IReadOnlyList<double> BrowserClicksMs,
    double BaselineMb, double IdleMb, double SettledBaselineMb, double SettledIdleMb, double RawMemoryPerIdleCircuitMb, double WatchingPeakMb, double RunOwnMb,
    double ServerCpuCores, double ServerCpuCoresWhileWatching, double RunSeconds, string RunEnded, int DistinctRuns,
    double BatchesPerSecondPerWatcher, double KilobytesPerSecondPerWatcher, double ServerCpuSecondsPerStudentToTryIt, double RunOwnCpuSeconds,
    double ServerCpuMsPerWatcherSecond, int StudentsFinished, IReadOnlyList<string> FirstErrors,
    RestartResult? Restart);

public sealed record RestartResult(
    double SecondsServerDown, double SecondsToLastBack, double SecondsFromKillToLastBack, int Back, int IdentityKept,
    int Reconnected, int Reloaded, double PeakMb, double Sum5sCpuCores);

/// <summary>
/// A class of headless students, each a real Blazor Server circuit (LearnDL.Testing.Circuits), on one app in
/// class mode, beside one real Chromium page doing the same script. Every student joins with a cookie of
/// their own, opens the lessons and lesson 1, answers its check questions (some wrong first), presses the
/// lesson's Try-it when the instructor says so (identical requests share one run: the class's shared run),
/// watches it to the end and opens lesson 2. With a restart, the app is then killed and started again on the
/// same port and data, and every student must come back by itself, still signed in as themselves.
/// </summary>
public sealed class ClassOfCircuits(IBrowser browser, string appFolder, Action<string> log)
{
    private const string Lesson1 = "cpu-and-gpu", Lesson2 = "sequential-and-parallel";

    public async Task<ClassResult> MeasureAsync(int count, bool restart)
    {
        var dataFolder = Directory.CreateTempSubdirectory("learndl-class-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["Class:InstructorPassphrase"] = "load-test-the-class",
            // Every student of the test comes from 127.0.0.1, all at once.
            ["Class:NewNamesPerAddressAtOnce"] = "2000", ["Class:NewNamesPerAddressPerMinute"] = "2000", ["Class:NewNamesPerAddressPerHour"] = "2000",
            ["Class:MaxQueuedRunsPerAddress"] = "2000", ["Class:MaxQueuedStudentRuns"] = "2000",
        };
        var app = await AppProcess.StartAsync(appFolder, settings, dataFolder);
        var port = new Uri(app.BaseUrl).Port;
        log($"class-mode app on {app.BaseUrl} (pid {app.ProcessId})");
        try
        {
            // Warm-up: JIT, the network loaded, the pages' first renders; then the run's own memory, measured alone.
            log("warm-up: one student through the whole script, twice");
            for (int w = 0; w < 2; w++)
            {
                await using var warm = new HeadlessStudent(app.BaseUrl, $"Warm up {w + 1}", 999 + w) { Think = _ => TimeSpan.Zero };
                await warm.JoinAsync();
                await warm.ArriveAsync();
                await warm.StudyFirstLessonAsync(Lesson1);
                if (w == 1) await Task.Delay(3000);
                var before = app.ResidentBytes();
                var cpuBefore = app.CpuSeconds();
                await using (var sampler = new MemorySampler(app))
                {
                    await warm.WatchTryItAsync(TimeSpan.FromMinutes(5));
                    _runOwnMb = (sampler.Result(app.ResidentBytes()).PeakMegabytes - before / 1e6);
                }
                _runOwnCpu = app.CpuSeconds() - cpuBefore;
                await warm.NextLessonAsync(Lesson2);
            }
            await Task.Delay(5000);
            var baselineRaw = app.ResidentBytes() / 1e6;
            var baseline = await SettledMemory.MegabytesAsync(app);
            log($"baseline {baselineRaw:0} MB, {baseline:0} MB once collected; the run alone adds {_runOwnMb:0} MB at its peak");

            var students = Enumerable.Range(1, count).Select(i => new HeadlessStudent(app.BaseUrl, $"Student {i}", i)).ToList();
            foreach (var s in students) s.Tab.Log += line => { if (Verbose) log($"  {s.Name}: {line}"); };
            var browserStudent = new BrowserStudent(browser, app.BaseUrl, "Browser student");
            var atTryIt = new CountdownEvent(count + 1);
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var watched = new CountdownEvent(count + 1);
            var lesson2 = new CountdownEvent(count + 1);
            var errors = new List<string>();
            var finished = 0;
            var runEnds = new List<string>();
            var arrival = TimeSpan.FromSeconds(Math.Max(10, count / 10.0));
            var cpuStart = app.CpuSeconds();
            var clock = Stopwatch.StartNew();
            log($"{count} students arrive over {arrival.TotalSeconds:0} s (and one Chromium page)");

            async Task Script(int i, Func<Task> arrive, Func<Task> study, Func<Task<string>> watch, Func<Task> next)
            {
                var (joined, watching) = (false, true);
                try
                {
                    await Task.Delay(arrival * i / (count + 1));
                    await arrive();
                    await study();
                    atTryIt.Signal();
                    joined = true;
                    await go.Task;
                    var ended = await watch();
                    lock (runEnds) runEnds.Add(ended);
                    watched.Signal();
                    watching = false;
                    await next();
                    Interlocked.Increment(ref finished);
                }
                catch (Exception e)
                {
                    lock (errors) errors.Add($"student {i}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                    if (!joined) atTryIt.Signal();
                    if (watching) watched.Signal();
                }
                finally { lesson2.Signal(); }
            }

            // Once told, each student presses within three seconds.
            var tasks = students.Select((s, i) => Script(i, async () => { await s.JoinAsync(); await s.ArriveAsync(); }, () => s.StudyFirstLessonAsync(Lesson1),
                async () => { await Task.Delay(TimeSpan.FromSeconds(3 * new Random(i).NextDouble())); return await s.WatchTryItAsync(TimeSpan.FromMinutes(10)); },
                () => s.NextLessonAsync(Lesson2))).ToList();
            var browserRandom = new Random(11);
            Task Think() => Task.Delay(TimeSpan.FromSeconds(2 + 3 * browserRandom.NextDouble()));
            tasks.Add(Script(count, browserStudent.ArriveAsync, () => browserStudent.StudyFirstLessonAsync(Lesson1, Think),
                async () => { await browserStudent.WatchTryItAsync(); return "Completed"; }, () => browserStudent.NextLessonAsync(Think)));

            // Everyone is on lesson 1 with their answers shown and nothing moving: the idle circuits' memory.
            await Task.Run(() => atTryIt.Wait(TimeSpan.FromMinutes(15)));
            log($"all at the Try-it after {clock.Elapsed.TotalSeconds:0} s; {errors.Count} errors so far");
            await Task.Delay(5000);
            var idleRaw = app.ResidentBytes() / 1e6;
            var idle = await SettledMemory.MegabytesAsync(app);
            log($"idle: {idleRaw:0} MB, {idle:0} MB once collected");
            if (HoldIdle > TimeSpan.Zero)
            {
                log($"holding the class idle for {HoldIdle.TotalSeconds:0} s (pid {app.ProcessId}), for a look from outside");
                await Task.Delay(HoldIdle);
            }
            var cpuToTryIt = (app.CpuSeconds() - cpuStart) / (count + 1);
            var batchesBefore = students.Sum(s => s.Tab.Batches);
            var bytesBefore = students.Sum(s => s.Tab.BatchBytes);

            log("the instructor says: press Run it, and watch");
            var runClock = Stopwatch.StartNew();
            var cpuRun = app.CpuSeconds();
            double watchingPeak;
            await using (var sampler = new MemorySampler(app))
            {
                go.SetResult();
                await Task.Run(() => watched.Wait(TimeSpan.FromMinutes(15)));
                watchingPeak = sampler.Result(app.ResidentBytes()).PeakMegabytes;
            }
            var runSeconds = runClock.Elapsed.TotalSeconds;
            var cpuWatching = (app.CpuSeconds() - cpuRun) / runSeconds;
            var batchesWatching = students.Sum(s => s.Tab.Batches) - batchesBefore;
            var bytesWatching = students.Sum(s => s.Tab.BatchBytes) - bytesBefore;
            await Task.WhenAll(tasks);
            var cpuAll = (app.CpuSeconds() - cpuStart) / clock.Elapsed.TotalSeconds;
            var batchRate = batchesWatching / (double)Math.Max(1, count) / runSeconds;
            var byteRate = bytesWatching / 1e3 / Math.Max(1, count) / runSeconds;
            // What watching cost the server beyond the run itself (measured alone in the warm-up), per watcher and second.
            var watchCpuMs = Math.Max(0, cpuWatching * runSeconds - _runOwnCpu) * 1000 / (count + 1) / runSeconds;
            var runs = students.Select(s => s.RunHref).Where(h => h is not null).Distinct().Count();
            var dropped = students.Count(s => s.Tab.Reconnects + s.Tab.Reloads > 0);
            log($"done after {clock.Elapsed.TotalSeconds:0} s: {finished} of {count + 1} finished; {runs} run(s)");

            RestartResult? restarted = null;
            if (restart)
            {
                (restarted, app) = await RestartAsync(app, students, settings, dataFolder, port);
            }

            var clicks = students.SelectMany(s => s.Clicks).ToList();
            var all = clicks.Select(c => c.Milliseconds).Order().ToList();
            var tabErrors = students.SelectMany(s => s.Tab.Errors).ToList();
            errors.AddRange(browserStudent.Errors.Select(e => $"browser: {e}"));
            var circuits = count + 1;
            var result = new ClassResult(count,
                Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99),
                Math.Round((idle - baseline) / circuits, 3), Math.Round((watchingPeak - baselineRaw - _runOwnMb) / circuits, 3),
                dropped, errors.Count + tabErrors.Count,
                browserStudent.Clicks.Count == 0 ? null : Percentile(browserStudent.Clicks.Select(c => c.Milliseconds).Order().ToList(), 0.95),
                restarted?.SecondsToLastBack,
                new ClassDetails(all.Count, all.Count == 0 ? 0 : all[^1],
                    clicks.GroupBy(c => c.What).ToDictionary(g => g.Key, g => Math.Round(Percentile(g.Select(c => c.Milliseconds).Order().ToList(), 0.95), 1)),
                    browserStudent.Clicks.Select(c => Math.Round(c.Milliseconds, 1)).ToList(),
                    Math.Round(baselineRaw, 1), Math.Round(idleRaw, 1), Math.Round(baseline, 1), Math.Round(idle, 1), Math.Round((idleRaw - baselineRaw) / circuits, 3),
                    Math.Round(watchingPeak, 1), Math.Round(_runOwnMb, 1),
                    Math.Round(cpuAll, 2), Math.Round(cpuWatching, 2), Math.Round(runSeconds, 1),
                    string.Join(", ", runEnds.GroupBy(e => e).Select(g => $"{g.Key} x{g.Count()}")), runs,
                    Math.Round(batchRate, 2), Math.Round(byteRate, 2), Math.Round(cpuToTryIt, 3), Math.Round(_runOwnCpu, 1), Math.Round(watchCpuMs, 2), finished, errors.Concat(tabErrors).Take(10).ToList(), restarted));
            log(result.ToString());
            foreach (var s in students) await s.DisposeAsync();
            await browserStudent.CloseAsync();
            return result;
        }
        finally
        {
            await app.DisposeAsync();
            // What the app printed, beside the load test's build, for reading after a surprise.
            await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "class-app.log"), app.Log);
            try { Directory.Delete(dataFolder, true); } catch (IOException) { }
        }
    }

    private double _runOwnMb, _runOwnCpu;

    /// <summary>How long to keep the class idle at the Try-it (to take a heap dump of the app, say); none by default.</summary>
    public TimeSpan HoldIdle { get; init; }

    /// <summary>Log every student's reconnection attempts (noisy: small classes only).</summary>
    public bool Verbose { get; init; }

    /// <summary>
    /// Kills the app with every student's circuit open, starts it again on the same port and data, and waits for
    /// every student to be back (their tab's connection up again, on a new circuit since the old ones died with the
    /// process) and showing their own name.
    /// </summary>
    private async Task<(RestartResult, AppProcess)> RestartAsync(AppProcess app, List<HeadlessStudent> students, Dictionary<string, string> settings,
        string dataFolder, int port)
    {
        log($"restart storm: killing the app with {students.Count} circuits open");
        var killedAt = DateTime.UtcNow;
        await app.KillAsync();
        await app.DisposeAsync();
        var restarted = await AppProcess.StartAsync(appFolder, settings, dataFolder, port: port);
        var answeredAt = DateTime.UtcNow;
        var cpu = restarted.CpuSeconds();
        log($"the app answers again after {(answeredAt - killedAt).TotalSeconds:0.0} s; waiting for the students");
        double peak;
        await using (var sampler = new MemorySampler(restarted))
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (DateTime.UtcNow < deadline && students.Any(s => s.Tab.CameBackAt is null || s.Tab.CameBackAt < killedAt || s.Tab.Recovering))
                await Task.Delay(250);
            peak = sampler.Result(restarted.ResidentBytes()).PeakMegabytes;
        }
        var back = students.Where(s => s.Tab.CameBackAt is { } at && at > killedAt && !s.Tab.Recovering).ToList();
        var identity = back.Count(s => s.Tab.Locked(s.ShowsMyName));
        var last = back.Count == 0 ? answeredAt : back.Max(s => s.Tab.CameBackAt!.Value);
        var result = new RestartResult(Math.Round((answeredAt - killedAt).TotalSeconds, 1), Math.Round((last - answeredAt).TotalSeconds, 1),
            Math.Round((last - killedAt).TotalSeconds, 1), back.Count, identity, students.Sum(s => s.Tab.Reconnects), students.Sum(s => s.Tab.Reloads),
            Math.Round(peak, 1), Math.Round((restarted.CpuSeconds() - cpu) / Math.Max(1, (DateTime.UtcNow - answeredAt).TotalSeconds), 2));
        log(result.ToString());
        return (result, restarted);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : Math.Round(sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))], 1);
}
