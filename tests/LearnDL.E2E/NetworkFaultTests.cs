using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LearnDL.Testing;
using Xunit.Abstractions;

namespace LearnDL.E2E;

/// <summary>
/// The app with a `learndl worker` on a machine of its own: a network namespace whose only way to the
/// jobs database (PostgreSQL on this host, listening on the link's host end) is a veth link the tests
/// cut and heal, as a lab PC's cable or switch fails. The app itself reaches PostgreSQL on loopback.
/// </summary>
public sealed class NetworkedWorkerServer : IAsyncLifetime
{
    public const string WorkerName = "net-1";
    public NetworkNamespace Link { get; private set; } = null!;
    public PostgresCluster Jobs { get; private set; } = null!;
    public AppProcess App { get; private set; } = null!;
    public Dictionary<string, WorkerProcess> Workers { get; } = [];

    /// <summary>The jobs database as seen from inside the namespace: across the link, never loopback.</summary>
    public string JobsOverTheLink => Jobs.ConnectionStringVia(Link.HostAddress);

    public async Task InitializeAsync()
    {
        Link = await NetworkNamespace.CreateAsync();
        Jobs = await PostgresCluster.StartAsync(Link.HostAddress);
        App = await AppProcess.StartAsync(AppContext.BaseDirectory, new Dictionary<string, string> { ["Workers:Engine"] = "postgres" },
            environment: new Dictionary<string, string> { ["ConnectionStrings__Jobs"] = Jobs.ConnectionString });
        await StartWorkerAsync(WorkerName);
    }

    /// <summary>Starts a worker inside the namespace (again, after a kill or a drain, under the same name).</summary>
    public async Task<WorkerProcess> StartWorkerAsync(string name, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (Workers.Remove(name, out var old)) await old.DisposeAsync();
        return Workers[name] = await WorkerProcess.StartAsync(AppContext.BaseDirectory, JobsOverTheLink, name, launcher: Link.Exec, environment: environment);
    }

    public async Task DisposeAsync()
    {
        try
        {
            foreach (var worker in Workers.Values)
            {
                await worker.DisposeAsync();
                await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, $"worker-{worker.Name}.log"), worker.Log);
            }
            if (App is not null)
            {
                await App.DisposeAsync();
                await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "app-NetworkedWorkerServer.log"), App.Log);
            }
        }
        finally
        {
            if (Jobs is not null) await Jobs.DisposeAsync();
            if (Link is not null) await Link.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class NetworkedWorkerCollection : ICollectionFixture<NetworkedWorkerServer>
{
    public const string Name = "the app with a worker across a network link";
}

[Collection(NetworkedWorkerCollection.Name)]
public sealed class NetworkFaultTests(NetworkedWorkerServer server, ITestOutputHelper output)
{
    /// <summary>The issue asks for a partition of 30 to 60 s: longer than a worker's silence (15 s), so the app gives up on its run.</summary>
    private static readonly TimeSpan Partition = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task APartitionMidRun_EndsTheRunOnce_TheWorkersLateEndIsRefused_AndItTakesTheNextRunAfterHealing()
    {
        await WaitForLiveAsync(NetworkedWorkerServer.WorkerName);
        using var http = Client();
        // The longest run a learner may ask for: still running on the worker when the link comes back.
        var id = await http.SubmitAsync(Run(5000, seed: 31));
        await WaitForProgressAsync(http, id);
        var worker = server.Workers[NetworkedWorkerServer.WorkerName];

        await server.Link.CutAsync();
        var clock = Stopwatch.StartNew();
        JsonObject run;
        try
        {
            run = await http.WaitForRunAsync(id, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(250));
            var interrupted = clock.Elapsed;
            Assert.Equal("interrupted", run["status"]!.GetValue<string>());
            Assert.Contains("Worker net-1 stopped answering", run["error"]!.GetValue<string>());
            output.WriteLine($"Cut at 0 s; the run was Interrupted at {interrupted.TotalSeconds:0.0} s (silence {15} s, looked at every 2 s).");
            // The partition lasts its full length: this waits for the end of the fault, not for a condition.
            if (Partition - clock.Elapsed is { Ticks: > 0 } rest) await Task.Delay(rest);
        }
        finally
        {
            await server.Link.HealAsync();
        }
        var healedAt = clock.Elapsed;
        output.WriteLine($"Healed at {healedAt.TotalSeconds:0.0} s.");

        // Back on the link: the worker learns the app gave up (its work stops, or it had finished meanwhile), and the
        // app refuses its late end, once, in the run's lifecycle.
        var shortId = id.ToString("N")[..8];
        await WaitForAsync(() => server.App.Log.Contains($"Run {id}: refused worker net-1's late end"), TimeSpan.FromSeconds(120),
            () => $"The app never refused the late end of run {id}.\nWorker:\n{worker.Log}\nApp:\n{Tail(server.App.Log)}");
        var refusedAt = clock.Elapsed;
        var stopped = worker.Log.Contains($"Run {shortId}… was given up by the web app");
        output.WriteLine($"The app refused the worker's late end at {refusedAt.TotalSeconds:0.0} s ({(refusedAt - healedAt).TotalSeconds:0.0} s after healing); " +
            (stopped ? "the worker had stopped the abandoned run's work." : "the run had finished on the worker during the cut."));
        Assert.Contains(worker.Log.Split('\n'), l => l.Contains($"Run {shortId}… finished (") && l.Contains("after the web app had given up on it"));

        // Ended once: still interrupted, with the same end.
        var again = (await http.GetFromJsonAsync<JsonObject>($"/api/runs/{id}"))!;
        Assert.Equal("interrupted", again["status"]!.GetValue<string>());
        Assert.Equal(run["finishedAt"]!.ToJsonString(), again["finishedAt"]!.ToJsonString());

        // The worker rejoined by itself and takes the next run; the interrupted one never ran a second time.
        await WaitForLiveAsync(NetworkedWorkerServer.WorkerName);
        output.WriteLine($"The worker was live again at {clock.Elapsed.TotalSeconds:0.0} s.");
        var next = await http.WaitForRunAsync(await http.SubmitAsync(Run(16, seed: 32)), TimeSpan.FromSeconds(180));
        Assert.Equal("completed", next["status"]!.GetValue<string>());
        Assert.Equal("net-1", next["worker"]!.GetValue<string>());
        output.WriteLine($"The next run completed on net-1 at {clock.Elapsed.TotalSeconds:0.0} s.");
        Assert.Single(worker.Log.Split('\n'), l => l.Contains($"Run {shortId}… finished"));
        Assert.DoesNotContain($"Run {shortId}… was already taken", worker.Log);
    }

    [Fact]
    public async Task PostgresRestartedMidRun_TheAppAndTheWorkerReconnect_TheQueuedRunStaysQueued_AndTheRunningOneEnds()
    {
        await WaitForLiveAsync(NetworkedWorkerServer.WorkerName);
        using var http = Client();
        var running = await http.SubmitAsync(Run(400, seed: 41));
        await WaitForProgressAsync(http, running);
        var waiting = await http.SubmitAsync(Run(16, seed: 42)); // one slot, busy: it waits in the app's line
        Assert.Equal("queued", (await http.GetFromJsonAsync<JsonObject>($"/api/runs/{waiting}"))!["status"]!.GetValue<string>());

        var clock = Stopwatch.StartNew();
        await server.Jobs.RestartAsync();
        output.WriteLine($"PostgreSQL stopped (fast: every client disconnected) and started again in {clock.Elapsed.TotalSeconds:0.0} s.");
        Assert.Equal("queued", (await http.GetFromJsonAsync<JsonObject>($"/api/runs/{waiting}"))!["status"]!.GetValue<string>());

        // Never stuck "running", never failed for the restart: it completes, or ends interrupted when its worker's silence outlasted the restart.
        var first = await http.WaitForRunAsync(running, TimeSpan.FromSeconds(300), TimeSpan.FromMilliseconds(250));
        output.WriteLine($"The running run ended {first["status"]} at {clock.Elapsed.TotalSeconds:0.0} s after the restart began.");
        Assert.Contains(first["status"]!.GetValue<string>(), new[] { "completed", "interrupted" });
        var second = await http.WaitForRunAsync(waiting, TimeSpan.FromSeconds(240), TimeSpan.FromMilliseconds(250));
        Assert.Equal("completed", second["status"]!.GetValue<string>());
        Assert.Equal("net-1", second["worker"]!.GetValue<string>());
        output.WriteLine($"The queued run completed on net-1 at {clock.Elapsed.TotalSeconds:0.0} s.");
        await WaitForLiveAsync(NetworkedWorkerServer.WorkerName);
    }

    [Fact]
    public async Task AWorkerWhoseClockIsTwoMinutesBehind_IsJudgedByTheDatabasesClock()
    {
        await WaitForLiveAsync(NetworkedWorkerServer.WorkerName);
        // libfaketime (Debian's libfaketime) moves the worker's wall clock; its monotonic clock stays true.
        var skewed = await server.StartWorkerAsync("net-skew", new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
            ["FAKETIME"] = "-2m",
            ["DONT_FAKE_MONOTONIC"] = "1",
            // Without this, libfaketime's "monotonic fix" for pthread_cond_timedwait makes every timed wait of .NET
            // (WaitOne, SemaphoreSlim, Monitor.Wait) return at once: Hangfire never fetched the run. Measured here.
            ["FAKETIME_FORCE_MONOTONIC_FIX"] = "0",
        });
        using var http = Client();
        try
        {
            // Its own log's clock shows the skew is real.
            await WaitForAsync(() => skewed.Log.Contains("serves CPU runs"), TimeSpan.FromSeconds(60), () => $"net-skew never started serving:\n{skewed.Log}");
            var stamp = skewed.Log.Split('\n').First(l => l.Contains("serves CPU runs"))[..8];
            var behind = DateTime.UtcNow.TimeOfDay - TimeSpan.Parse(stamp, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(behind.TotalSeconds, 90, 180);

            // Live, and as fresh as any worker: its heartbeat's age is the database's now minus the database's stamp.
            var entry = await WaitForLiveAsync("net-skew");
            Assert.InRange(entry["secondsSinceHeartbeat"]!.GetValue<double>(), 0, 10);
            // Only it serves now: its run's events reach the app in seconds, not two minutes.
            Assert.Equal(System.Net.HttpStatusCode.Accepted, (await http.PostAsync($"/api/workers/{NetworkedWorkerServer.WorkerName}/drain", null)).StatusCode);
            await WaitForAsync(() => server.Workers[NetworkedWorkerServer.WorkerName].HasExited, TimeSpan.FromSeconds(60), () => "net-1 did not drain");
            // Long enough for its events to be more than the 5% of the latency window that p95 looks at.
            var runId = await http.SubmitAsync(Run(400, seed: 51));
            JsonObject run;
            try { run = await http.WaitForRunAsync(runId, TimeSpan.FromSeconds(300)); }
            catch (TimeoutException e) { throw new TimeoutException($"{e.Message}\n{await JobsTablesAsync()}\nnet-skew:\n{skewed.Log}\nApp:\n{Tail(server.App.Log)}", e); }
            Assert.Equal("completed", run["status"]!.GetValue<string>());
            Assert.Equal("net-skew", run["worker"]!.GetValue<string>());
            var latency = (await http.GetFromJsonAsync<JsonObject>("/api/workers"))!["eventLatency"]!;
            output.WriteLine($"Event latency with a worker 2 min behind: p50 {latency["p50Milliseconds"]} ms, p95 {latency["p95Milliseconds"]} ms over {latency["events"]} events.");
            Assert.InRange(latency["p95Milliseconds"]!.GetValue<double>(), -1000, 10_000);

            // Killed: judged silent by the database's clock, after the silence and not two minutes off either way.
            await skewed.KillAsync();
            var clock = Stopwatch.StartNew();
            await WaitForAsync(async () => !(await WorkerAsync(http, "net-skew"))!["live"]!.GetValue<bool>(), TimeSpan.FromSeconds(60), () => "net-skew never went silent");
            output.WriteLine($"The killed skewed worker was judged silent {clock.Elapsed.TotalSeconds:0.0} s after the kill.");
            Assert.InRange(clock.Elapsed.TotalSeconds, 8, 30);
        }
        finally
        {
            await skewed.DisposeAsync();
            server.Workers.Remove("net-skew");
            if (server.Workers[NetworkedWorkerServer.WorkerName].HasExited) await server.StartWorkerAsync(NetworkedWorkerServer.WorkerName);
        }
    }

    /// <summary>The jobs database's view of the runs and workers, for a failure's message (where a run waits, who heartbeats).</summary>
    private async Task<string> JobsTablesAsync()
    {
        var dump = new System.Text.StringBuilder();
        await using var db = Npgsql.NpgsqlDataSource.Create(server.Jobs.ConnectionString);
        foreach (var q in new[] { "select id, queue, jobid, fetchedat, now() from hangfire.jobqueue", "select id, statename, createdat from hangfire.job",
            "select id, lastheartbeat, now(), data from hangfire.server", "select * from learndl.workers", "select * from learndl.attempts" })
        {
            try
            {
                await using var cmd = db.CreateCommand(q);
                await using var r = await cmd.ExecuteReaderAsync();
                dump.AppendLine(q);
                while (await r.ReadAsync()) dump.AppendLine(string.Join(" | ", Enumerable.Range(0, r.FieldCount).Select(i => r.GetValue(i)?.ToString())));
            }
            catch (Npgsql.NpgsqlException x) { dump.AppendLine($"{q}: {x.Message}"); }
        }
        return dump.ToString();
    }

    private static object Run(int images, int seed) => new { dataset = "builtin", images, epochs = 1, device = "cpu", seed };

    private HttpClient Client() => new() { BaseAddress = new Uri(server.App.BaseUrl) };

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(40));

    private static async Task<JsonObject?> WorkerAsync(HttpClient http, string name) =>
        (await http.GetFromJsonAsync<JsonObject>("/api/workers"))!["workers"]!.AsArray().OfType<JsonObject>().FirstOrDefault(w => w["name"]!.GetValue<string>() == name);

    /// <summary>Waits until the app lists the worker as live; returns its entry.</summary>
    private async Task<JsonObject> WaitForLiveAsync(string name)
    {
        using var http = Client();
        JsonObject? entry = null;
        await WaitForAsync(async () => (entry = await WorkerAsync(http, name)) is { } w && w["live"]!.GetValue<bool>() && !w["draining"]!.GetValue<bool>(),
            TimeSpan.FromSeconds(120), () => $"{name} is not live: {entry?.ToJsonString()}");
        return entry!;
    }

    /// <summary>Waits until the run is on a worker and has featurized images there.</summary>
    private static async Task WaitForProgressAsync(HttpClient http, Guid id)
    {
        JsonObject? run = null;
        await WaitForAsync(async () =>
        {
            run = (await http.GetFromJsonAsync<JsonObject>($"/api/runs/{id}"))!;
            if (RunPolling.Ended.Contains(run["status"]!.GetValue<string>())) throw new InvalidOperationException($"Run {id} ended before the fault: {run.ToJsonString()}");
            return run["worker"] is not null && run["progress"]!["done"]!.GetValue<int>() > 0;
        }, TimeSpan.FromSeconds(180), () => $"Run {id} never made progress on a worker: {run?.ToJsonString()}");
    }

    private static Task WaitForAsync(Func<bool> condition, TimeSpan timeout, Func<string> why) => WaitForAsync(() => Task.FromResult(condition()), timeout, why);

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> why)
    {
        for (var deadline = DateTime.UtcNow + timeout; !await condition(); await Task.Delay(250))
            if (DateTime.UtcNow > deadline) throw new TimeoutException(why());
    }
}
