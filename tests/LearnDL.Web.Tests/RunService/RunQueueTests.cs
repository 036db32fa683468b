using LearnDL.Training.Compute;
using LearnDL.Web.Data;
using LearnDL.Web.Live;
using LearnDL.Web.Tests.Live;
using LearnDL.Web.RunService;
using Microsoft.Extensions.Hosting;
using static LearnDL.Web.Tests.RunService.QueueFixture;

namespace LearnDL.Web.Tests.RunService;

/// <summary>The queue's promises to a class: order, limits, fairness, shared runs, safe cancels.</summary>
public class RunQueueTests
{
    private static async Task<QueueItem> Take(RunQueue queue, ComputeDevice device) =>
        await queue.NextAsync(device, new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);

    [Fact]
    public async Task Next_ServesEachDeviceFirstComeFirstServed_WithPositionsPerDevice()
    {
        await using var f = new QueueFixture(o => o.MaxQueuedRunsPerOwner = 10, gpu: true);
        var a = Owner("a");
        var cpu1 = (await f.Queue.SubmitAsync(Request(1), a)).RunId;
        var gpu1 = (await f.Queue.SubmitAsync(Request(2, DeviceRequest.Gpu), a)).RunId;
        var cpu2 = (await f.Queue.SubmitAsync(Request(3), a)).RunId;
        var gpu2 = (await f.Queue.SubmitAsync(Request(4, DeviceRequest.Gpu), a)).RunId;
        Assert.Equal([1, 2, 1, 2], new[] { cpu1, cpu2, gpu1, gpu2 }.Select(id => f.Queue.PositionOf(id)));

        Assert.Equal(cpu1, (await Take(f.Queue, ComputeDevice.Cpu)).Id);
        Assert.Equal(gpu1, (await Take(f.Queue, ComputeDevice.Gpu)).Id);
        Assert.Equal(1, f.Queue.PositionOf(cpu2));
        Assert.Equal(1, f.Runs.Snapshot(gpu2)!.QueuePosition);
        Assert.Equal("Queued", (await f.Store.GetSummaryAsync(cpu2))!.Status.ToString());
    }

    [Fact]
    public async Task Next_WaitsForAFreeWorker_ThenTakesTheNext()
    {
        await using var f = new QueueFixture(o => o.MaxQueuedRunsPerOwner = 10);
        var first = await f.Queue.SubmitAsync(Request(1), Owner("a"));
        var second = await f.Queue.SubmitAsync(Request(2), Owner("a"));
        var running = await Take(f.Queue, ComputeDevice.Cpu);
        var next = f.Queue.NextAsync(ComputeDevice.Cpu, CancellationToken.None);
        await Task.Delay(200);
        Assert.False(next.IsCompleted); // one CPU worker, busy
        f.Queue.Complete(running);
        Assert.Equal(second.RunId, (await next.WaitAsync(TimeSpan.FromSeconds(5))).Id);
        Assert.Equal(first.RunId, running.Id);
    }

    [Fact]
    public async Task Submit_ThirtyAtOnce_NeverPassesTheQueueLimit()
    {
        await using var f = new QueueFixture(o => o.MaxQueuedRuns = 5);
        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
        {
            try { await f.Queue.SubmitAsync(Request(i), Owner($"s{i}")); return "admitted"; }
            catch (RunRejectedException e) when (e.LimitReached) { return e.Message; }
        }));
        Assert.Equal(5, answers.Count(a => a == "admitted"));
        Assert.All(answers.Where(a => a != "admitted"), a => Assert.Contains("MaxQueuedRuns", a));
        Assert.Equal(5, (await f.Store.ListAsync(new RunFilter())).Total);
    }

    [Fact]
    public async Task Submit_OverThePersonalLimit_IsRefusedNamingIt_WhileOthersStillGetIn()
    {
        await using var f = new QueueFixture(o => o.MaxQueuedRunsPerOwner = 2);
        await f.Queue.SubmitAsync(Request(1), Owner("greedy"));
        await f.Queue.SubmitAsync(Request(2), Owner("greedy"));
        var refused = await Assert.ThrowsAsync<RunRejectedException>(() => f.Queue.SubmitAsync(Request(3), Owner("greedy")));
        Assert.True(refused.LimitReached);
        Assert.Equal("You already have 2 runs waiting or running; the limit is 2 per person (MaxQueuedRunsPerOwner). Wait for one to finish, or cancel one.", refused.Message);
        await f.Queue.SubmitAsync(Request(4), Owner("patient"));
    }

    [Fact]
    public async Task Next_OwnersTakeTurns_SoOneStudentCannotHoldTheQueue()
    {
        await using var f = new QueueFixture(o => o.MaxQueuedRunsPerOwner = 5);
        var names = new Dictionary<Guid, string>();
        foreach (var (owner, count) in new[] { ("a", 3), ("b", 2), ("c", 1) })
            for (int i = 1; i <= count; i++)
                names[(await f.Queue.SubmitAsync(Request(names.Count), Owner(owner))).RunId] = $"{owner}{i}";
        Assert.Equal(["a1", "b1", "c1", "a2", "b2", "a3"],
            f.Queue.View().Lanes.Single(l => l.Device == ComputeDevice.Cpu).Waiting.Select(r => names[r.Id]));

        var order = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            var job = await Take(f.Queue, ComputeDevice.Cpu);
            order.Add(names[job.Id]);
            f.Queue.Complete(job);
        }
        Assert.Equal(["a1", "b1", "c1", "a2", "b2", "a3"], order);
    }

    [Fact]
    public async Task Submit_IdenticalSharedRequests_JoinOneRun_UntilItEnds()
    {
        await using var f = new QueueFixture();
        var admissions = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => f.Queue.SubmitAsync(Request(7, shared: true), Owner($"s{i}"))));
        var id = Assert.Single(admissions.Select(a => a.RunId).Distinct());
        Assert.Equal(29, admissions.Count(a => a.Joined));
        Assert.Equal(30, f.Runs.Snapshot(id)!.Members);
        Assert.Contains(id, (await f.Store.ListAsync(new RunFilter(OwnerId: "owner-s17"))).Items.Select(r => r.Id)); // in a joiner's history

        var unshared = await f.Queue.SubmitAsync(Request(7), Owner("solo"));
        Assert.NotEqual(id, unshared.RunId); // the launcher's own runs are never merged

        var job = await Take(f.Queue, ComputeDevice.Cpu);
        Assert.Equal(id, job.Id);
        var late = await f.Queue.SubmitAsync(Request(7, shared: true), Owner("late"));
        Assert.Equal(id, late.RunId); // still running: joins
        f.Queue.Complete(job);
        var after = await f.Queue.SubmitAsync(Request(7, shared: true), Owner("later"));
        Assert.NotEqual(id, after.RunId); // ended: a new run
    }

    [Fact]
    public async Task Cancel_RacingTheRunsEnd_IsAlwaysSafe()
    {
        await using var f = new QueueFixture();
        for (int i = 0; i < 50; i++)
        {
            var id = (await f.Queue.SubmitAsync(Request(i), Owner("a"))).RunId;
            var job = await Take(f.Queue, ComputeDevice.Cpu);
            var cancel = Task.Run(() => f.Queue.CancelAsync(id));
            var complete = Task.Run(() => f.Queue.Complete(job));
            await Task.WhenAll(cancel, complete);
            Assert.Equal(CancelOutcome.NotInProgress, await f.Queue.CancelAsync(id)); // over: nothing to cancel, and no exception
        }
    }

    [Fact]
    public async Task Cancel_AWaitingRun_StoresItAndMovesTheOthersUp()
    {
        await using var f = new QueueFixture(o => o.MaxQueuedRunsPerOwner = 5);
        await f.Queue.SubmitAsync(Request(1), Owner("a"));
        var second = (await f.Queue.SubmitAsync(Request(2), Owner("a"))).RunId;
        var third = (await f.Queue.SubmitAsync(Request(3), Owner("a"))).RunId;
        await Take(f.Queue, ComputeDevice.Cpu);
        Assert.Equal(2, f.Queue.PositionOf(third));

        Assert.Equal(CancelOutcome.Cancelled, await f.Queue.CancelAsync(second));
        Assert.Equal(1, f.Queue.PositionOf(third));
        Assert.Equal(1, f.Runs.Snapshot(third)!.QueuePosition);
        var stored = await f.Store.GetSummaryAsync(second);
        Assert.Equal((RunStatus.Cancelled, "Cancelled before it started."), (stored!.Status, stored.Error));
        Assert.Equal(RunStatus.Cancelled, f.Runs.Snapshot(second)!.Status);
    }

    [Fact]
    public async Task Submit_WhenTheRunCannotBeStored_IsRefusedAndHoldsNoPlace()
    {
        await using var f = new QueueFixture(o => o.MaxQueuedRuns = 1);
        f.Saves.Fail = true;
        var refused = await Assert.ThrowsAsync<RunRejectedException>(() => f.Queue.SubmitAsync(Request(1, shared: true), Owner("a")));
        Assert.Contains("could not be stored", refused.Message);
        f.Saves.Fail = false;
        Assert.All(f.Queue.View().Lanes, l => Assert.Empty(l.Waiting));
        var admitted = await f.Queue.SubmitAsync(Request(1, shared: true), Owner("a")); // the limit of 1 is free again
        Assert.False(admitted.Joined);
    }

    [Fact]
    public async Task Dispatcher_WhenStoringTheResultFails_WatchersStillGetTheFinalStateAndTheResult()
    {
        await using var f = new QueueFixture();
        var dispatcher = f.Get<IEnumerable<IHostedService>>().OfType<RunDispatcher>().Single();
        await dispatcher.StartAsync(CancellationToken.None);
        try
        {
            var id = (await f.Queue.SubmitAsync(Request(1, images: 60), Owner("a"))).RunId;
            RunSnapshot? seen = null;
            using var watch = f.Updates.Watch(id, () => { seen = f.Runs.Snapshot(id); return Task.CompletedTask; });
            await LiveUpdatesTests.Eventually(() => f.Runs.Snapshot(id)?.Stage == Training.Runs.RunStage.Featurize, 30_000);
            f.Saves.Fail = true; // the disk fills up while the run works

            await LiveUpdatesTests.Eventually(() => seen?.Status == RunStatus.Completed, 60_000);
            Assert.Contains("could not be saved", seen!.Error);
            Assert.NotNull(seen.Result);
            Assert.Equal(RunStatus.Running, (await f.Store.GetSummaryAsync(id))!.Status); // what the database could keep
        }
        finally
        {
            f.Saves.Fail = false;
            await dispatcher.StopAsync(CancellationToken.None);
        }
    }
}

/// <summary>Work that is not a run (a lesson's demonstration) waits in the same lanes and under the same limits.</summary>
public class QueueWorkTests
{
    [Fact]
    public async Task Work_WaitsItsTurnBehindRuns_CountsAgainstTheLimits_AndCanBeCancelled()
    {
        await using var f = new QueueFixture(o => o.MaxQueuedRunsPerOwner = 2);
        var run = await f.Queue.SubmitAsync(QueueFixture.Request(1), QueueFixture.Owner("a"));
        var ticket = f.Queue.SubmitWork("demonstration", ComputeDevice.Cpu, QueueFixture.Owner("a"), _ => Task.CompletedTask);
        Assert.Equal(2, f.Queue.PositionOf(ticket.Id));
        Assert.Equal("demonstration", f.Queue.Find(ticket.Id)!.Title);
        Assert.Null(f.Queue.Find(ticket.Id)!.Dataset);
        var refused = Assert.Throws<RunRejectedException>(() => f.Queue.SubmitWork("another", ComputeDevice.Cpu, QueueFixture.Owner("a"), _ => Task.CompletedTask));
        Assert.True(refused.LimitReached);

        Assert.Equal(CancelOutcome.Cancelled, await f.Queue.CancelAsync(ticket.Id));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ticket.Completion);
        Assert.Null(f.Queue.PositionOf(ticket.Id));
        Assert.Equal(run.RunId, f.Queue.View().Lanes.Single(l => l.Device == ComputeDevice.Cpu).Waiting.Single().Id);
    }

    [Fact]
    public async Task Work_RunsOnTheDispatcher_AndItsOwnerHearsItStartAndEnd()
    {
        await using var f = new QueueFixture();
        var dispatcher = f.Get<IEnumerable<Microsoft.Extensions.Hosting.IHostedService>>().OfType<RunDispatcher>().Single();
        await dispatcher.StartAsync(CancellationToken.None);
        try
        {
            var ran = false;
            var ticket = f.Queue.SubmitWork("demonstration", ComputeDevice.Cpu, QueueFixture.Owner("a"), async token => { await Task.Delay(50, token); ran = true; });
            await ticket.Started.WaitAsync(TimeSpan.FromSeconds(10));
            await ticket.Completion.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(ran);
            Assert.Null(f.Queue.Find(ticket.Id)); // its place is free again
        }
        finally { await dispatcher.StopAsync(CancellationToken.None); }
    }
}
