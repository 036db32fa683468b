using System.Diagnostics;
using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Live;
using LearnDL.Web.RunService;
using LearnDL.Web.Tests.RunService;
using Microsoft.Extensions.Time.Testing;

namespace LearnDL.Web.Tests.Live;

/// <summary>The live updates' promises to the engine and to pages (a run's changes reach its watchers through its lifecycle), with a clock the test turns.</summary>
public class LiveUpdatesTests : IAsyncLifetime
{
    private static readonly DeviceChoice Cpu = new(ComputeDevice.Cpu, "test");
    private readonly FakeTimeProvider _time = new();
    private readonly QueueFixture _fixture;
    private readonly RunLifecycle _hub;
    private readonly LiveUpdates _updates;
    private readonly Guid _run = Guid.NewGuid();

    public LiveUpdatesTests()
    {
        _fixture = new QueueFixture(time: _time);
        (_hub, _updates) = (_fixture.Runs, _fixture.Updates);
    }

    public async Task InitializeAsync()
    {
        await _fixture.Store.AddAsync(new RunRecord { Id = _run, CreatedAt = _time.GetUtcNow(), Dataset = "builtin", Images = 100, Epochs = 1, DeviceRequested = "cpu" });
        _hub.Queued(_run, Cpu, 1);
        await _hub.StartAsync(_run, Cpu);
    }

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    private static ImagesFeaturized Done(int n) => new(TimeSpan.FromSeconds(n), n, 100, 0, 10);

    [Fact]
    public async Task Watch_ManyReportsWithinTheInterval_OneCallThenOneTrailingCallWithTheLatest()
    {
        var seen = new List<int>();
        using var _ = _updates.Watch(_run, () => { lock (seen) seen.Add(_hub.Snapshot(_run)!.Done); return Task.CompletedTask; });

        _hub.Report(_run, Done(1));
        await Eventually(() => Count(seen) == 1);
        for (int i = 2; i <= 20; i++) _hub.Report(_run, Done(i));
        await Task.Delay(200);
        Assert.Equal(1, Count(seen)); // throttled: nothing more until the interval has passed

        _time.Advance(LiveUpdates.MinInterval);
        await Eventually(() => Count(seen) == 2);
        Assert.Equal(20, seen[1]); // the trailing call reads the newest state; 2..19 were dropped
        await Task.Delay(200);
        Assert.Equal(2, Count(seen));
    }

    [Fact]
    public async Task Report_AWatcherBlockingForASecond_DoesNotSlowTheReporterOrOtherWatchers()
    {
        var fastCalls = 0;
        using var slow = _updates.Watch(_run, () => { Thread.Sleep(1000); return Task.CompletedTask; });
        using var fast = _updates.Watch(_run, () => { Interlocked.Increment(ref fastCalls); return Task.CompletedTask; });

        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= 1000; i++) _hub.Report(_run, Done(i % 100));
        Assert.True(clock.ElapsedMilliseconds < 500, $"1000 reports took {clock.ElapsedMilliseconds} ms");
        await Eventually(() => Volatile.Read(ref fastCalls) >= 1);
    }

    [Fact]
    public async Task Watcher_ThatThrows_IsDropped_AndTheOthersStillHear()
    {
        var calls = 0;
        _updates.Watch(_run, () => throw new ObjectDisposedException("circuit"));
        using var good = _updates.Watch(_run, () => { Interlocked.Increment(ref calls); return Task.CompletedTask; });
        _hub.Report(_run, Done(1));
        await Eventually(() => _updates.WatcherCount(_run) == 1 && Volatile.Read(ref calls) == 1);
        await Eventually(() =>
        {
            _time.Advance(LiveUpdates.MinInterval);
            _hub.Report(_run, Done(2));
            return Volatile.Read(ref calls) >= 2;
        });
    }

    [Fact]
    public async Task QueueChanges_ReachOnlyTheRunsWhosePlaceChanged_AndQueueWatchers()
    {
        var waiting = Guid.NewGuid();
        _hub.Queued(waiting, Cpu, 2);
        int runningCalls = 0, waitingCalls = 0, queueCalls = 0;
        using var a = _updates.Watch(_run, () => { Interlocked.Increment(ref runningCalls); return Task.CompletedTask; });
        using var b = _updates.Watch(waiting, () => { Interlocked.Increment(ref waitingCalls); return Task.CompletedTask; });
        using var q = _updates.WatchQueue(() => { Interlocked.Increment(ref queueCalls); return Task.CompletedTask; });

        _hub.Positions(new Dictionary<Guid, int> { [waiting] = 1 });
        await Eventually(() => Volatile.Read(ref waitingCalls) == 1);
        _hub.Positions(new Dictionary<Guid, int> { [waiting] = 1 }); // unchanged: nobody hears
        _hub.Queued(Guid.NewGuid(), new DeviceChoice(ComputeDevice.Gpu, "test"), 1);
        await Eventually(() => Volatile.Read(ref queueCalls) == 1);
        await Task.Delay(200);
        Assert.Equal(0, Volatile.Read(ref runningCalls));
        Assert.Equal(1, Volatile.Read(ref waitingCalls));
        Assert.Equal(1, _hub.Snapshot(waiting)!.QueuePosition);
    }

    [Fact]
    public async Task Finished_ReachesWatchers_WithTheReasonKeptLive_EvenWhenItCouldNotBeSaved()
    {
        RunSnapshot? last = null;
        using var _ = _updates.Watch(_run, () => { last = _hub.Snapshot(_run); return Task.CompletedTask; });
        _fixture.Saves.Fail = true;
        await _hub.FinishAsync(_run, RunStatus.Failed, "out of memory");
        await Eventually(() => last?.Status == RunStatus.Failed);
        Assert.Contains("out of memory (This could not be saved", last!.Error);
    }

    [Fact]
    public void ChartSeries_ALongRun_StaysBoundedAndKeepsItsEnds()
    {
        var series = new ChartSeries(TimeSpan.FromMilliseconds(250));
        for (int i = 0; i <= 100_000; i++) series.Add(i * 0.05, i, last: i == 100_000);
        var points = series.ToList();
        Assert.InRange(points.Count, 30, ChartSeries.DefaultMaxPoints);
        Assert.Equal(0, points[0].Seconds);
        Assert.Equal(100_000, points[^1].Value);
        Assert.True(points.Zip(points.Skip(1)).All(p => p.Second.Seconds > p.First.Seconds));
    }

    private static int Count(List<int> list) { lock (list) return list.Count; }

    internal static async Task Eventually(Func<bool> condition, int timeoutMs = 5000)
    {
        for (var clock = Stopwatch.StartNew(); clock.ElapsedMilliseconds < timeoutMs; await Task.Delay(10))
            if (condition()) return;
        Assert.True(condition(), "The condition did not become true in time.");
    }
}
