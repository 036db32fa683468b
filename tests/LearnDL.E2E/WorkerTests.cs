using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LearnDL.Testing;
using LearnDL.Training.Datasets;
using LearnDL.Workers;
using Microsoft.Playwright;

namespace LearnDL.E2E;

/// <summary>
/// The app handing its runs to two real `learndl worker` processes (lab-1, lab-2, one slot each)
/// through a throwaway PostgreSQL cluster, as a class larger than one machine does.
/// </summary>
public sealed class WorkerClassServer : AppServer
{
    public PostgresCluster Jobs { get; private set; } = null!;
    public Dictionary<string, WorkerProcess> Workers { get; } = [];

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Workers:Engine"] = "postgres" };
    protected override IReadOnlyDictionary<string, string>? Environment => new Dictionary<string, string> { ["ConnectionStrings__Jobs"] = Jobs.ConnectionString };

    protected override async Task BeforeStartAsync()
    {
        Jobs = await PostgresCluster.StartAsync();
        // Started before the app: both announce themselves to the same database the app reads.
        foreach (var name in new[] { "lab-1", "lab-2" }) await StartWorkerAsync(name);
    }

    /// <summary>Starts (or starts again, after a kill) a worker by that name, with its own data folder.</summary>
    public async Task StartWorkerAsync(string name)
    {
        var data = Workers.TryGetValue(name, out var old) ? old.DataFolder : null;
        if (old is not null) await old.DisposeAsync();
        Workers[name] = await WorkerProcess.StartAsync(AppContext.BaseDirectory, Jobs.ConnectionString, name, dataFolder: data);
    }

    protected override async Task AfterStopAsync()
    {
        foreach (var worker in Workers.Values)
        {
            await worker.DisposeAsync();
            await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, $"worker-{worker.Name}.log"), worker.Log);
        }
        await Jobs.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class WorkerCollection : ICollectionFixture<WorkerClassServer>
{
    public const string Name = "the app with worker machines";
}

[Collection(WorkerCollection.Name)]
public sealed class WorkerTests(WorkerClassServer app)
{
    private static readonly string[] Labs = ["lab-1", "lab-2"];

    [Fact]
    public async Task RunsGoToTheWorkers_OwnersStillTakeTurns_AndIdenticalSharedRunsAreOneRun()
    {
        await WaitForWorkersAsync(2);
        using var blocker = Client();
        using var ada = Client();
        using var bob = Client();
        // Both slots busy, so the next runs wait in LearnDL's line, not in Hangfire's.
        var blockers = new[] { await blocker.SubmitAsync(Run(500, seed: 1)), await blocker.SubmitAsync(Run(500, seed: 2)) };
        foreach (var id in blockers) await blocker.WaitForRunAsync(id, TimeSpan.FromSeconds(60), states: "running");
        var adas = new List<Guid>();
        for (int seed = 10; seed < 13; seed++) adas.Add(await ada.SubmitAsync(Run(16, seed)));
        var bobs = await bob.SubmitAsync(Run(16, seed: 20));

        var all = blockers.Concat(adas).Append(bobs).ToList();
        var runs = new Dictionary<Guid, JsonObject>();
        foreach (var id in all) runs[id] = await blocker.WaitForRunAsync(id, TimeSpan.FromSeconds(240));
        Assert.All(runs.Values, r => Assert.Equal("completed", r["status"]!.GetValue<string>()));
        Assert.All(runs.Values, r => Assert.Contains(r["worker"]!.GetValue<string>(), Labs));
        // The two blockers ran at the same time, one on each machine.
        Assert.NotEqual(runs[blockers[0]]["worker"]!.GetValue<string>(), runs[blockers[1]]["worker"]!.GetValue<string>());
        // Bob's one run did not wait behind all three of Ada's: he had his turn after her first.
        var started = all.ToDictionary(id => id, id => runs[id]["startedAt"]!.GetValue<DateTimeOffset>());
        Assert.True(started[bobs] < started[adas[1]], $"Bob started at {started[bobs]:HH:mm:ss.fff}, Ada's second at {started[adas[1]]:HH:mm:ss.fff}");

        // An identical shared preset joins the run already there.
        var first = await (await ada.PostAsJsonAsync("/api/runs", new { dataset = "builtin", images = 16, epochs = 1, device = "cpu", seed = 99, shared = true })).Content.ReadFromJsonAsync<JsonObject>();
        var second = await (await bob.PostAsJsonAsync("/api/runs", new { dataset = "builtin", images = 16, epochs = 1, device = "cpu", seed = 99, shared = true })).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(first!["id"]!.GetValue<string>(), second!["id"]!.GetValue<string>());
        Assert.True(second["joined"]!.GetValue<bool>());
        Assert.Equal("completed", (await bob.WaitForRunAsync(Guid.Parse(second["id"]!.GetValue<string>())))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ARunOnAWorker_KeepsItsModel_AndAFolderDatasetIsRefusedWithAClearMessage()
    {
        await WaitForWorkersAsync(2);
        using var http = Client();
        var id = await http.SubmitAsync(Run(24, seed: 3));
        var run = await http.WaitForRunAsync(id, TimeSpan.FromSeconds(120));
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        Assert.True(run["result"]!["microAccuracy"]!.GetValue<double>() > 0);
        var model = await http.GetAsync($"/api/runs/{id}/model");
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        Assert.True((await model.Content.ReadAsByteArrayAsync()).Length > 1000);

        // A folder dataset the web server offers (under its folder roots) lives on the web server only.
        var shapes = Path.Combine(app.DataFolder, "folders", "shapes");
        for (int c = 0; c < 2; c++)
        {
            Directory.CreateDirectory(Path.Combine(shapes, $"class{c}"));
            for (int i = 0; i < 4; i++)
            {
                using var tile = AerialTileGenerator.Draw(c, i);
                using var png = tile.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
                await File.WriteAllBytesAsync(Path.Combine(shapes, $"class{c}", $"{i}.png"), png.ToArray());
            }
        }
        var folder = await http.PostAsJsonAsync("/api/runs", new { dataset = "folder:" + shapes, images = 8, epochs = 1, device = "cpu" });
        Assert.Equal(HttpStatusCode.BadRequest, folder.StatusCode);
        var refusal = await folder.Content.ReadAsStringAsync();
        Assert.True(refusal.Contains("Folder datasets exist only on the web server"), refusal);

        // Built-in tiles are drawn on each machine from the same seed: the worker's pixels are these.
        var local = Directory.CreateTempSubdirectory("learndl-tiles-").FullName;
        try
        {
            var mine = new BuiltinDataset(local).Select(24, 3).Samples.Cast<FileImageSample>().ToList();
            var theirs = app.Workers[run["worker"]!.GetValue<string>()].DataFolder;
            Assert.All(mine, tile => Assert.Equal(
                File.ReadAllBytes(tile.Path),
                File.ReadAllBytes(Path.Combine(theirs, "datasets", Path.GetRelativePath(local, tile.Path)))));
        }
        finally { Directory.Delete(local, true); }
    }

    [Fact]
    public async Task StoppingARunningRemoteRun_ReachesItsWorker_AndItEndsCancelledWithinTwoSeconds()
    {
        await WaitForWorkersAsync(2);
        using var http = Client();
        var id = await http.SubmitAsync(Run(1500, seed: 4));
        await WaitForProgressAsync(http, id);
        var clock = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Accepted, (await http.DeleteAsync($"/api/runs/{id}")).StatusCode);
        var run = await http.WaitForRunAsync(id, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
        clock.Stop();
        Assert.Equal("cancelled", run["status"]!.GetValue<string>());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"Cancelled after {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.Contains("Cancelled during", run["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task AWorkerKilledMidRun_InterruptsItsRunWithinAMinute_TheOtherWorkerTakesTheNext_AndTheRunIsNeverRunTwice()
    {
        await WaitForWorkersAsync(2);
        using var http = Client();
        var id = await http.SubmitAsync(Run(2000, seed: 5));
        var running = await WaitForProgressAsync(http, id);
        var victim = running["worker"]!.GetValue<string>();
        await app.Workers[victim].KillAsync();
        var clock = Stopwatch.StartNew();
        var run = await http.WaitForRunAsync(id, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(250));
        clock.Stop();
        Assert.Equal("interrupted", run["status"]!.GetValue<string>());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"Interrupted after {clock.Elapsed.TotalSeconds:0} s");
        Assert.Contains($"Worker {victim} stopped answering", run["error"]!.GetValue<string>());

        var next = await http.WaitForRunAsync(await http.SubmitAsync(Run(16, seed: 6)), TimeSpan.FromSeconds(120));
        Assert.Equal("completed", next["status"]!.GetValue<string>());
        Assert.NotEqual(victim, next["worker"]!.GetValue<string>());

        // A Hangfire re-fetch of the dead worker's job (after its invisibility timeout) finds the attempt taken.
        await using var jobs = new JobsDatabase(app.Jobs.ConnectionString);
        Assert.False(await new RunExchange(jobs).ClaimAsync(id, "lab-3"));
        await app.StartWorkerAsync(victim); // the machine comes back, under its own name
        await WaitForWorkersAsync(2);
    }

    [Fact]
    public async Task TheAppKilledAndRestartedMidRun_StoresTheRemoteRunsResult_AndRunsWaitingInLineStillWaitInOrder()
    {
        await WaitForWorkersAsync(2);
        var (cookiesA, cookiesB) = (new CookieContainer(), new CookieContainer());
        Guid[] remote;
        Guid[] waiting;
        using (var ada = Client(cookiesA))
        using (var bob = Client(cookiesB))
        {
            remote = [await ada.SubmitAsync(Run(1200, seed: 7)), await bob.SubmitAsync(Run(1200, seed: 8))];
            foreach (var id in remote) await WaitForProgressAsync(ada, id);
            waiting = [await ada.SubmitAsync(Run(16, seed: 9)), await ada.SubmitAsync(Run(16, seed: 10))];
            Assert.Equal("queued", (await ada.GetFromJsonAsync<JsonObject>($"/api/runs/{waiting[1]}"))!["status"]!.GetValue<string>());
        }
        await app.KillAndRestartAsync();

        using var adaBack = Client(cookiesA);
        using var bobBack = Client(cookiesB);
        var positions = new List<int>();
        foreach (var id in waiting)
        {
            var run = (await adaBack.GetFromJsonAsync<JsonObject>($"/api/runs/{id}"))!;
            Assert.Equal("queued", run["status"]!.GetValue<string>());
            positions.Add(run["queuePosition"]!.GetValue<int>());
        }
        Assert.Equal([1, 2], positions);
        var results = new[] { await adaBack.WaitForRunAsync(remote[0], TimeSpan.FromSeconds(180)), await bobBack.WaitForRunAsync(remote[1], TimeSpan.FromSeconds(180)) };
        Assert.All(results, r => Assert.Equal("completed", r["status"]!.GetValue<string>()));
        Assert.All(results, r => Assert.Contains(r["worker"]!.GetValue<string>(), Labs));
        Assert.All(results, r => Assert.True(r["result"]!["microAccuracy"]!.GetValue<double>() > 0));
        Assert.Equal(HttpStatusCode.OK, (await adaBack.GetAsync($"/api/runs/{remote[0]}/model")).StatusCode);
        var after = new List<JsonObject>();
        foreach (var id in waiting) after.Add(await adaBack.WaitForRunAsync(id, TimeSpan.FromSeconds(120)));
        Assert.All(after, r => Assert.Equal("completed", r["status"]!.GetValue<string>()));
        Assert.True(after[0]["startedAt"]!.GetValue<DateTimeOffset>() <= after[1]["startedAt"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task AGpuWorkerOnAMachineWithoutAUsableGpu_RefusesToServeTheGpuQueue_AndSaysWhy()
    {
        await using var gpu = await WorkerProcess.StartAsync(AppContext.BaseDirectory, app.Jobs.ConnectionString, "lab-gpu", device: "gpu", waitUntilJoined: false);
        Assert.Equal(3, await gpu.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("cannot serve GPU runs", gpu.Log);
        Assert.Contains("CPU build", gpu.Log);
        using var http = Client();
        var workers = await http.GetFromJsonAsync<JsonObject>("/api/workers");
        Assert.DoesNotContain(workers!["workers"]!.AsArray(), w => w!["name"]!.GetValue<string>() == "lab-gpu");
    }

    [Fact]
    public async Task ALearnerWatchesARunOnAWorkerLive_ClassifiesAPictureWithItsModel_AndRunsAnUploadedDatasetOnAWorker()
    {
        await WaitForWorkersAsync(2);
        var page = await app.NewPageAsync(height: 1200);
        await page.GotoAsync($"{app.BaseUrl}/runs/new?dataset=builtin&images=400&epochs=1&device=cpu");
        await page.WaitForCircuitAsync();
        await page.LaunchAsync(app);
        // Live: the page follows the worker's events while the run is on it, then shows where it ran.
        await Assertions.Expect(page.Locator("[data-status=Running]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("[data-status=Completed]")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        var id = Guid.Parse(new Uri(page.Url).AbsolutePath.Split('/').Last());
        using var http = Client();
        var run = (await http.GetFromJsonAsync<JsonObject>($"/api/runs/{id}"))!;
        Assert.Contains(run["worker"]!.GetValue<string>(), Labs);
        await Assertions.Expect(page.Locator("[data-testid=run-worker]")).ToContainTextAsync(run["worker"]!.GetValue<string>());
        await page.ScreenshotAsync("run-on-worker.png");
        var series = (await http.GetFromJsonAsync<JsonObject>($"/api/runs/{id}"))!["progress"]!;
        Assert.Equal(400, series["done"]!.GetValue<int>());

        var picture = Path.Combine(app.DataFolder, "my-forest.png");
        using (var tile = AerialTileGenerator.Draw(1, 9_500))
        using (var png = tile.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100))
            await File.WriteAllBytesAsync(picture, png.ToArray());
        await page.Locator("[data-testid=classify-image] input[type=file]").ChooseFileAsync(picture);
        await Assertions.Expect(page.Locator("[data-testid=classify-result]")).ToContainTextAsync("looks like", new() { Timeout = 30_000 });

        // An upload travels to a worker once, by its content hash.
        await page.GotoAsync(app.BaseUrl + "/datasets");
        await page.WaitForCircuitAsync();
        var upload = page.Locator("[data-testid=dataset-upload]");
        var zipPath = Path.Combine(app.DataFolder, "tiles.zip");
        using (var zip = System.IO.Compression.ZipFile.Open(zipPath, System.IO.Compression.ZipArchiveMode.Create))
            foreach (var c in new[] { 0, 2 })
                for (int i = 0; i < 5; i++)
                {
                    using var tile = AerialTileGenerator.Draw(c, 100 + i);
                    using var png = tile.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
                    using var entry = zip.CreateEntry($"tiles/{AerialTileGenerator.ClassNames[c]}/{i}.png").Open();
                    png.SaveTo(entry);
                }
        await upload.Locator("#upload-name").FillAsync("Tiles");
        await upload.Locator("#upload-name").BlurAsync(); // the name binds on change
        await upload.Locator("input[type=file]").ChooseFileAsync(zipPath);
        await page.Locator("#import").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=import-result]")).ToContainTextAsync("Imported Tiles: 2 classes");
        await page.GotoAsync(app.BaseUrl + "/runs/new?dataset=upload%3ATiles&images=10&epochs=1&device=cpu");
        await page.WaitForCircuitAsync();
        await page.LaunchAsync(app);
        await Assertions.Expect(page.Locator("[data-status=Completed]")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        var uploaded = (await http.GetFromJsonAsync<JsonObject>($"/api/runs/{new Uri(page.Url).AbsolutePath.Split('/').Last()}"))!;
        Assert.Contains(uploaded["worker"]!.GetValue<string>(), Labs);
        Assert.Equal(10, uploaded["result"]!["images"]!.GetValue<int>());
        var cached = Directory.GetDirectories(Path.Combine(app.Workers[uploaded["worker"]!.GetValue<string>()].DataFolder, "worker-cache"));
        Assert.Single(cached);
        Assert.Equal(10, Directory.GetFiles(cached[0], "*.png", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task AWorkerDrains_OnCtrlC_OrTheInstructorsDrain_AndLeavesTheRegister()
    {
        await WaitForWorkersAsync(2);
        using var http = Client();
        // Started as `dotnet test ... &` starts everything: under a parent that ignores Ctrl+C (which once made this
        // worker deaf to the test's Ctrl+C, so it never left). The worker still gets SIGINT as a terminal's job does.
        await using var byKey = await WorkerProcess.StartAsync(AppContext.BaseDirectory, app.Jobs.ConnectionString, "lab-3",
            launcher: ["sh", "-c", "trap '' INT; exec \"$@\"", "sh"]);
        await using var byButton = await WorkerProcess.StartAsync(AppContext.BaseDirectory, app.Jobs.ConnectionString, "lab-4");
        await WaitForWorkersAsync(4);
        byKey.Interrupt(); // Ctrl+C: nothing running, so it leaves at once
        Assert.Equal(0, await byKey.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("worker lab-3 left", byKey.Log, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync("/api/workers/lab-4/drain", null)).StatusCode);
        Assert.Equal(0, await byButton.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/api/workers/lab-9/drain", null)).StatusCode);
        // Both left the register: the app lists the two that stay.
        List<string> names = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline && !names.SequenceEqual(Labs); await Task.Delay(250))
            names = (await http.GetFromJsonAsync<JsonObject>("/api/workers"))!["workers"]!.AsArray().Select(w => w!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(Labs, names);
    }

    [Fact]
    public async Task HangfiresOwnDashboard_IsAtInstructorJobs_ReadOnly()
    {
        using var http = Client();
        var page = await http.GetStringAsync("/instructor/jobs");
        Assert.Contains("LearnDL jobs", page);
        var servers = await http.GetStringAsync("/instructor/jobs/servers");
        Assert.Contains("lab-1", servers);
        // Read-only: a command (requeue, delete) is refused.
        using var requeue = await http.PostAsync("/instructor/jobs/jobs/succeeded/requeue", new FormUrlEncodedContent([new("jobs[]", "1")]));
        Assert.False(requeue.IsSuccessStatusCode, $"requeue answered {(int)requeue.StatusCode}");
    }

    private static object Run(int images, int seed) => new { dataset = "builtin", images, epochs = 1, device = "cpu", seed };

    private HttpClient Client(CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer() }) { BaseAddress = new Uri(app.BaseUrl) };

    /// <summary>Waits until the run is on a worker and has featurized images there.</summary>
    private static async Task<JsonObject> WaitForProgressAsync(HttpClient http, Guid id)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(90); ; await Task.Delay(100))
        {
            var run = (await http.GetFromJsonAsync<JsonObject>($"/api/runs/{id}"))!;
            if (run["worker"] is not null && run["progress"]!["done"]!.GetValue<int>() > 0) return run;
            if (RunPolling.Ended.Contains(run["status"]!.GetValue<string>()) || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"Run {id} never made progress on a worker: {run.ToJsonString()}");
        }
    }

    private async Task WaitForWorkersAsync(int live)
    {
        using var http = Client();
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(250))
        {
            var body = (await http.GetFromJsonAsync<JsonObject>("/api/workers"))!;
            if (body["capacity"]!["cpu"]!.GetValue<int>() >= live) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not {live} live workers: {body.ToJsonString()}");
        }
    }
}
