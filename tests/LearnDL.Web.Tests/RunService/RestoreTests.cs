using LearnDL.Training.Runs;
using LearnDL.Training.Compute;
using LearnDL.Web.Data;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using LearnDL.Web.Tests.Class;
using Microsoft.Extensions.DependencyInjection;
using static LearnDL.Web.Tests.RunService.QueueFixture;
using static LearnDL.Web.Tests.Restarts;

namespace LearnDL.Web.Tests.RunService;

/// <summary>
/// The whole app stopped and started again on one data folder: runs that were waiting wait again, in
/// their order, under their ids, with their owners and members; one that can no longer run fails, saying why.
/// </summary>
public sealed class RestoreTests : IDisposable
{
    private readonly Restarts _server = new();

    public void Dispose() => _server.Dispose();

    private static async Task<RunOwner> JoinAsync(LearnDLFactory app, string name) =>
        (await app.Services.GetRequiredService<StudentRegistry>().JoinAsync(name, null)).Owner!;

    [Fact]
    public async Task Restart_PutsWaitingRunsBackInLine_InTheirOrder_WithTheirIdsOwnersAndMembers()
    {
        var first = _server.Start();
        await first.Services.GetRequiredService<QueueControls>().PauseAsync(ComputeDevice.Cpu, true);
        var (ada, bob, grace) = (await JoinAsync(first, "Ada"), await JoinAsync(first, "Bob"), await JoinAsync(first, "Grace"));
        var queue = first.Services.GetRequiredService<IRunQueue>();
        var adaFirst = (await queue.SubmitAsync(Request(1), ada)).RunId;
        var shared = (await queue.SubmitAsync(Request(2, shared: true), bob)).RunId;
        Assert.True((await queue.SubmitAsync(Request(2, shared: true), grace)).Joined);
        var adaSecond = (await queue.SubmitAsync(Request(3), ada)).RunId;
        var before = Cpu(first).Waiting.Select(r => r.Id).ToList();
        Assert.Equal([adaFirst, shared, adaSecond], before); // owners take turns
        _server.Stop(first);

        var second = _server.Start();
        var lane = Cpu(second);
        Assert.True(lane.Paused);
        Assert.Equal(before, lane.Waiting.Select(r => r.Id));
        Assert.Equal(["Ada", "Bob", "Ada"], lane.Waiting.Select(r => r.OwnerName));
        Assert.Equal([1, 2, 1], lane.Waiting.Select(r => r.Members));
        var store = second.Services.GetRequiredService<RunStore>();
        foreach (var id in before) Assert.Equal(RunStatus.Queued, (await store.GetSummaryAsync(id))!.Status);

        // Both people on the shared run are still on it: Grace can leave it and Bob's run goes on;
        // an identical Try-it joins the restored run rather than queueing a copy.
        var restored = second.Services.GetRequiredService<IRunQueue>();
        Assert.Equal(CancelOutcome.Left, await restored.CancelAsync(shared, grace.Id));
        var carl = await JoinAsync(second, "Carl");
        var joined = await restored.SubmitAsync(Request(2, shared: true), carl);
        Assert.True(joined.Joined);
        Assert.Equal(shared, joined.RunId);
        Assert.Equal(1, restored.PositionOf(adaFirst));
    }

    [Fact]
    public async Task Restart_WhenARunsDatasetVanished_ThatRunFailsWithTheReason_AndTheOthersWait()
    {
        var first = _server.Start();
        await first.Services.GetRequiredService<QueueControls>().PauseAsync(ComputeDevice.Cpu, true);
        var (ada, bob) = (await JoinAsync(first, "Ada"), await JoinAsync(first, "Bob"));
        var uploads = first.Services.GetRequiredService<UploadedDatasets>();
        var zip = Zips.Good();
        var kept = await uploads.ImportAsync(new MemoryStream(zip), zip.Length, "Ada shapes", ada);
        var gone = await uploads.ImportAsync(new MemoryStream(zip), zip.Length, "Bob shapes", bob);
        Assert.True(kept.Accepted && gone.Accepted, kept.Message + gone.Message);
        var queue = first.Services.GetRequiredService<IRunQueue>();
        // Ada's upload is hers alone: restored, it must still be found as hers.
        var adaRun = (await queue.SubmitAsync(new RunSettings { Dataset = "upload:Ada shapes", Images = 6, Epochs = 1 }, ada)).RunId;
        var bobRun = (await queue.SubmitAsync(new RunSettings { Dataset = "upload:Bob shapes", Images = 6, Epochs = 1 }, bob)).RunId;
        var folder = uploads.FolderOf(gone.Dataset!);
        _server.Stop(first);
        Directory.Delete(folder, recursive: true);

        var second = _server.Start();
        Assert.Equal([adaRun], Cpu(second).Waiting.Select(r => r.Id));
        var failed = await second.Services.GetRequiredService<RunStore>().GetAsync(bobRun);
        Assert.Equal(RunStatus.Failed, failed!.Status);
        Assert.StartsWith("The server restarted while this run waited, and it cannot run now:", failed.Error);
        Assert.Contains("The files of Bob shapes are gone from the server", failed.Error);
        Assert.NotNull(failed.FinishedAt);
        Assert.Null(second.Services.GetRequiredService<IRunQueue>().Find(bobRun));
    }

    [Fact]
    public async Task Restart_AfterARunWasCutOff_MarksItInterrupted_AndTheWaitingRunAfterItStillRuns()
    {
        var first = _server.Start();
        await first.Services.GetRequiredService<QueueControls>().PauseAsync(ComputeDevice.Cpu, true);
        var ada = await JoinAsync(first, "Ada");
        var queue = first.Services.GetRequiredService<IRunQueue>();
        var cut = (await queue.SubmitAsync(Request(1), ada)).RunId;
        var waiting = (await queue.SubmitAsync(Request(2), ada)).RunId;
        // As if the server had died while the first one ran.
        await first.Services.GetRequiredService<RunStore>().UpdateAsync(cut, r => r.Status = RunStatus.Running);
        _server.Stop(first);

        var second = _server.Start();
        var store = second.Services.GetRequiredService<RunStore>();
        var interrupted = await store.GetAsync(cut);
        Assert.Equal(RunStatus.Interrupted, interrupted!.Status);
        Assert.Contains("server stopped", interrupted.Error);
        Assert.Equal([waiting], Cpu(second).Waiting.Select(r => r.Id));
        // Resumed: the waiting run is taken and finishes, under its own id.
        await second.Services.GetRequiredService<QueueControls>().PauseAsync(ComputeDevice.Cpu, false);
        for (var deadline = DateTime.UtcNow.AddSeconds(120); (await store.GetAsync(waiting))!.Status is RunStatus.Queued or RunStatus.Running;)
        {
            Assert.True(DateTime.UtcNow < deadline, "The restored run did not finish within 120 s.");
            await Task.Delay(100);
        }
        Assert.Equal(RunStatus.Completed, (await store.GetAsync(waiting))!.Status);
    }
}
