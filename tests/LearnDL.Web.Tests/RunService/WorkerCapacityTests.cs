using LearnDL.Training.Compute;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Tests.RunService;

/// <summary>With worker machines, a device's line hands out runs only as the live workers have slots; the app's own demonstrations keep their own place.</summary>
public class WorkerCapacityTests
{
    [Fact]
    public async Task RunsWaitForAWorkerSlot_WhileALessonsDemonstrationStillRunsInTheApp_AndASlotStartsTheRun()
    {
        await using var f = new QueueFixture();
        f.Queue.SetCapacity(ComputeDevice.Cpu, 0); // no worker connected yet
        var run = await f.Queue.SubmitAsync(QueueFixture.Request(), QueueFixture.Owner("ada"));
        using var none = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => f.Queue.NextAsync(ComputeDevice.Cpu, none.Token));
        Assert.Equal(1, f.Queue.PositionOf(run.RunId));

        // Ada's run waits for a worker; a demonstration (work in this app) is not held behind it for ever once it is its turn.
        f.Queue.SubmitWork("demonstration", ComputeDevice.Cpu, QueueFixture.Owner("bob"), _ => Task.CompletedTask);
        f.Queue.SetCapacity(ComputeDevice.Cpu, 1); // a worker with one slot joins
        var first = await f.Queue.NextAsync(ComputeDevice.Cpu, new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
        Assert.Equal(run.RunId, first.Id);
        var second = await f.Queue.NextAsync(ComputeDevice.Cpu, new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
        Assert.IsType<WorkItem>(second); // the run holds the worker's slot; the demonstration has the app's
        Assert.Equal(1, f.Queue.View().Lanes.Single(l => l.Device == ComputeDevice.Cpu).Slots);
    }

    [Fact]
    public async Task TheDashboardsRunLimits_DoNotOverrideTheWorkersSlots()
    {
        await using var f = new QueueFixture();
        f.Queue.SetCapacity(ComputeDevice.Cpu, 3);
        f.Queue.SetLimits(f.Queue.Limits with { MaxConcurrentCpuRuns = 1 });
        Assert.Equal(3, f.Queue.View().Lanes.Single(l => l.Device == ComputeDevice.Cpu).Slots);
    }
}
