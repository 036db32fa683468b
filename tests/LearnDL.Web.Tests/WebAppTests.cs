using LearnDL.Training.Runs;
using System.Net;
using LearnDL.Training.Compute;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Web.Tests;

/// <summary>The whole app in-process with its real database, queue and engine.</summary>
public class LearnDLFactory(string dataFolder, params (string Key, string Value)[] settings) : WebApplicationFactory<Program>
{
    /// <summary>Services a test puts in place of the app's own (a clock it controls), after the app registered its own.</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("LearnDL:DataFolder", dataFolder).UseEnvironment("Production");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        if (TestServices is { } services) builder.ConfigureTestServices(services);
    }
}

public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("learndl-web-").FullName;
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

public class WebAppTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly LearnDLFactory _factory;

    public WebAppTests() => _factory = new LearnDLFactory(_temp.Path);

    public void Dispose()
    {
        _factory.Dispose();
        _temp.Dispose();
    }

    [Theory]
    [InlineData("/", "Do you need a GPU to learn deep learning?")]
    [InlineData("/lessons", "What a CPU is, what a GPU is")]
    [InlineData("/lessons/cpu-and-gpu", "Why hardware for pixels suits neural networks")]
    [InlineData("/lessons/do-you-need-a-gpu", "A habit worth keeping")]
    [InlineData("/lessons/same-script-cpu-or-gpu-build", "three days")]
    [InlineData("/lessons/where-to-get-a-gpu", "Kaggle")]
    [InlineData("/runs/new", "Launch a run")]
    [InlineData("/runs", "Run history")]
    [InlineData("/compare", "42 minutes")]
    [InlineData("/replay", "2000 images")]
    [InlineData("/doctor", "CUDA really loads")]
    [InlineData("/healthz", "Healthy")]
    [InlineData("/error", "Something went wrong")]
    public async Task Page_Answers200WithItsKeyContent(string path, string text)
    {
        var response = await _factory.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(WebUtility.HtmlEncode(text), await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/lessons/no-such-lesson")]
    [InlineData("/runs/3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    [InlineData("/runs/not-a-guid")]
    [InlineData("/nowhere")]
    public async Task Unknown_GivesFriendlyNotFound(string path)
    {
        var response = await _factory.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Nothing here", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Page_CarriesTheNoticeBlazorShowsWhenItsConnectionFails()
    {
        var html = await _factory.CreateClient().GetStringAsync("/runs/new");
        // blazor.web.js shows #blazor-error-ui and wires its .reload link; without it a failed page just freezes.
        Assert.Matches("<div id=\"blazor-error-ui\" role=\"alert\">[^<]*stopped working[^<]*<a href(=\"\")? class=\"reload\">", html);
    }

    /// <summary>Lesson 8's download: the notebook a learner opens in Colab or Kaggle.</summary>
    [Fact]
    public async Task GpuNotebook_DownloadsAsAnIpynbFile()
    {
        var response = await _factory.CreateClient().GetAsync(LearnDL.Web.Features.MyGpu.GpuNotebookEndpoint.Path);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(LearnDL.Web.Features.MyGpu.GpuNotebook.FileName, response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
        Assert.Contains("learndl-gpu-result", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Lesson_Picture_IsServedUnderContent()
    {
        var response = await _factory.CreateClient().GetAsync("/content/parallel-work.svg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Run_SubmittedThroughTheQueue_CompletesAndIsStored()
    {
        _ = _factory.CreateClient(); // starts the host and its worker
        var queue = _factory.Services.GetRequiredService<IRunQueue>();
        var store = _factory.Services.GetRequiredService<RunStore>();
        var id = await Submit(queue, new RunSettings { Dataset = "builtin", Images = 20, Epochs = 2, Device = DeviceRequest.Cpu });

        var record = await WaitFor(store, id, r => r.IsFinished);
        Assert.Equal(RunStatus.Completed, record.Status);
        Assert.Equal("cpu", record.Device);
        Assert.NotNull(record.Accuracy);
        var result = RunStore.ResultOf(record)!;
        Assert.Equal(2, result.Epochs.Count);
        Assert.NotEmpty(RunStore.SeriesOf(record).ImagesDone);
        Assert.Contains((await store.ListAsync(new RunFilter())).Items, r => r.Id == id);

        var page = await _factory.CreateClient().GetStringAsync($"/runs/{id}");
        Assert.Contains("Completed", page);
    }

    [Fact]
    public async Task Run_Rejected_WhenOverTheLimitOrGpuOnCpuBuild()
    {
        _ = _factory.CreateClient();
        var queue = _factory.Services.GetRequiredService<IRunQueue>();
        var tooMany = await Assert.ThrowsAsync<RunRejectedException>(() => Submit(queue, new RunSettings { Images = 9000 }));
        Assert.Contains("at most 5,000 images", tooMany.Message);
        var gpu = await Assert.ThrowsAsync<RunRejectedException>(() => Submit(queue, new RunSettings { Images = 20, Device = DeviceRequest.Gpu }));
        Assert.Contains("-p:RuntimeBuild=gpu", gpu.Message);
        var unknown = await Assert.ThrowsAsync<RunRejectedException>(() => Submit(queue, new RunSettings { Dataset = "imagenet" }));
        Assert.Contains("Unknown dataset", unknown.Message);
    }

    [Fact]
    public async Task Run_Cancelled_IsStoredAsCancelled()
    {
        _ = _factory.CreateClient();
        var queue = _factory.Services.GetRequiredService<IRunQueue>();
        var store = _factory.Services.GetRequiredService<RunStore>();
        var id = await Submit(queue, new RunSettings { Images = 400, Epochs = 1, Device = DeviceRequest.Cpu });
        await WaitFor(store, id, r => r.Status == RunStatus.Running);
        Assert.Equal(CancelOutcome.Cancelled, await queue.CancelAsync(id));
        var record = await WaitFor(store, id, r => r.IsFinished);
        Assert.Equal(RunStatus.Cancelled, record.Status);
        Assert.Contains("Cancelled", record.Error);
    }

    [Fact]
    public async Task Queue_ShowsPositions_AndCancelsAQueuedRunBeforeItStarts()
    {
        _ = _factory.CreateClient();
        var queue = _factory.Services.GetRequiredService<IRunQueue>();
        var store = _factory.Services.GetRequiredService<RunStore>();
        var hub = _factory.Services.GetRequiredService<RunLifecycle>();
        var first = await Submit(queue, new RunSettings { Images = 400, Epochs = 1, Device = DeviceRequest.Cpu });
        await WaitFor(store, first, r => r.Status == RunStatus.Running);
        var second = await Submit(queue, new RunSettings { Images = 20, Epochs = 1, Device = DeviceRequest.Cpu });
        var third = await Submit(queue, new RunSettings { Images = 20, Epochs = 1, Device = DeviceRequest.Cpu });

        // One CPU run at a time (appsettings.json): the others wait in order.
        Assert.Equal(1, hub.Snapshot(second)!.QueuePosition);
        Assert.Equal(2, hub.Snapshot(third)!.QueuePosition);
        Assert.Contains("Queued (position 2 for the CPU)", await _factory.CreateClient().GetStringAsync($"/runs/{third}"));

        Assert.Equal(CancelOutcome.Cancelled, await queue.CancelAsync(third));
        Assert.Equal(CancelOutcome.Cancelled, await queue.CancelAsync(first));
        Assert.Equal(RunStatus.Cancelled, (await WaitFor(store, third, r => r.IsFinished)).Status);
        Assert.Equal("Cancelled before it started.", (await store.GetAsync(third))!.Error);
        Assert.Equal(RunStatus.Completed, (await WaitFor(store, second, r => r.IsFinished)).Status);
    }

    [Fact]
    public async Task Restart_MarksRunningRunsInterrupted()
    {
        _ = _factory.CreateClient();
        var id = Guid.NewGuid();
        await _factory.Services.GetRequiredService<RunStore>().AddAsync(new RunRecord
        {
            Id = id, CreatedAt = DateTimeOffset.UtcNow, Status = RunStatus.Running, Dataset = "builtin", Images = 50, Epochs = 1,
        });
        _factory.Dispose();

        using var restarted = new LearnDLFactory(_temp.Path);
        _ = restarted.CreateClient();
        var record = await restarted.Services.GetRequiredService<RunStore>().GetAsync(id);
        Assert.Equal(RunStatus.Interrupted, record!.Status);
        Assert.Contains("server stopped", record.Error);
    }

    private static readonly RunOwner Learner = RunOwner.NewLearner();

    private static async Task<Guid> Submit(IRunQueue queue, RunSettings request) => (await queue.SubmitAsync(request, Learner)).RunId;

    private static async Task<RunRecord> WaitFor(RunStore store, Guid id, Func<RunRecord, bool> done)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(90); DateTime.UtcNow < deadline; await Task.Delay(100))
            if (await store.GetAsync(id) is { } record && done(record)) return record;
        throw new TimeoutException($"Run {id} did not get there in time.");
    }
}
