using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.RunService;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static LearnDL.Web.Tests.RunService.QueueFixture;

namespace LearnDL.Web.Tests.RunService;

/// <summary>A run ends once: what comes after its end (a worker's late result, a cancel) is refused, logged, and changes nothing.</summary>
public class RunLifecycleTests
{
    private readonly LogRecorder _log = new();

    private QueueFixture Fixture() => new(services: s => s.AddSingleton<ILoggerProvider>(_log));

    /// <summary>A run taken from the queue and started, as the worker does.</summary>
    private static async Task<Guid> StartedAsync(QueueFixture f)
    {
        var id = (await f.Queue.SubmitAsync(Request(1), Owner("a"))).RunId;
        var job = await f.Queue.NextAsync(ComputeDevice.Cpu, new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
        Assert.True(await f.Runs.StartAsync(id, job.Device));
        return id;
    }

    [Fact]
    public async Task Complete_AfterTheRunWasInterrupted_IsRefusedAndLogged_TheRunStaysInterrupted()
    {
        await using var f = Fixture();
        var id = await StartedAsync(f);
        Assert.True(await f.Runs.FinishAsync(id, RunStatus.Interrupted, "Worker w1 stopped answering during this run."));

        // The worker comes back with its result after all: too late.
        Assert.False(await f.Runs.CompleteAsync(id, Result()));

        var live = f.Runs.Snapshot(id)!;
        Assert.Equal((RunStatus.Interrupted, null), (live.Status, live.Result));
        var stored = (await f.Store.GetAsync(id))!;
        Assert.Equal((RunStatus.Interrupted, null), (stored.Status, stored.ResultJson));
        Assert.Contains(_log.Warnings, w => w.Contains(id.ToString()) && w.Contains("refused to make it Completed") && w.Contains("Interrupted"));
    }

    [Fact]
    public async Task Complete_OfARunInterruptedBeforeARestart_IsRefusedByWhatIsStored()
    {
        await using var f = Fixture();
        var id = Guid.NewGuid();
        await f.Store.AddAsync(new RunRecord
        {
            Id = id, CreatedAt = DateTimeOffset.UtcNow, Status = RunStatus.Interrupted, Error = "The server stopped before this run finished.",
            Dataset = "builtin", Images = 12, Epochs = 1, DeviceRequested = "cpu",
        });

        Assert.False(await f.Runs.CompleteAsync(id, Result()));

        Assert.Equal(RunStatus.Interrupted, (await f.Store.GetAsync(id))!.Status);
        Assert.Single(_log.Warnings, w => w.Contains(id.ToString()));
    }

    [Fact]
    public async Task Cancel_AfterTheRunCompleted_IsRefused_AndTheResultStays()
    {
        await using var f = Fixture();
        var id = await StartedAsync(f);
        Assert.True(await f.Runs.CompleteAsync(id, Result()));

        // A cancel that reaches the run after its end (the stop racing the last epoch).
        Assert.False(await f.Runs.FinishAsync(id, RunStatus.Cancelled, "Cancelled during training."));

        var live = f.Runs.Snapshot(id)!;
        Assert.Equal((RunStatus.Completed, null), (live.Status, live.Error));
        Assert.NotNull(live.Result);
        var stored = (await f.Store.GetAsync(id))!;
        Assert.Equal((RunStatus.Completed, null), (stored.Status, stored.Error));
        Assert.NotNull(stored.ResultJson);
        Assert.Contains(_log.Warnings, w => w.Contains(id.ToString()) && w.Contains("refused to make it Cancelled") && w.Contains("Completed"));
    }

    [Fact]
    public async Task Complete_StoresTheChartSeriesFromTheLiveState()
    {
        await using var f = Fixture();
        var id = await StartedAsync(f);
        f.Runs.Report(id, new ImagesFeaturized(TimeSpan.FromSeconds(1), 6, 12, 0, 6));
        f.Runs.Report(id, new ImagesFeaturized(TimeSpan.FromSeconds(2), 12, 12, 0, 6));
        Assert.True(await f.Runs.CompleteAsync(id, Result()));

        var series = RunStore.SeriesOf((await f.Store.GetAsync(id))!);
        Assert.Equal([6.0, 12.0], series.ImagesDone.Select(p => p.Value));
        Assert.Empty(_log.Warnings);
    }

    [Theory]
    [InlineData(RunStatus.Queued, RunStatus.Running, true)]
    [InlineData(RunStatus.Queued, RunStatus.Cancelled, true)]
    [InlineData(RunStatus.Queued, RunStatus.Completed, false)] // only a started run completes
    [InlineData(RunStatus.Running, RunStatus.Running, true)] // followed again on its worker after a restart
    [InlineData(RunStatus.Running, RunStatus.Completed, true)]
    [InlineData(RunStatus.Running, RunStatus.Queued, false)]
    [InlineData(RunStatus.Completed, RunStatus.Cancelled, false)]
    [InlineData(RunStatus.Interrupted, RunStatus.Completed, false)]
    [InlineData(RunStatus.Cancelled, RunStatus.Running, false)]
    public void Allows_ARunWaitsRunsAndEndsOnce(RunStatus from, RunStatus to, bool allowed) =>
        Assert.Equal(allowed, RunLifecycle.Allows(from, to));

    internal static RunResult Result() => new()
    {
        Dataset = "builtin", Images = 12, TrainImages = 9, TestImages = 3, Device = "cpu", DeviceReason = "The CPU was requested.", RuntimeBuild = "cpu",
        BatchSize = 8, Epochs = [new(1, 0.9, 0.3, 0.85, 0.4)], Stages = [new("featurize", 3), new("train", 1)], TotalSeconds = 5,
        FeaturizeWallSeconds = 3, FeaturizeImagesPerSecond = 4, ImagesPerSecond = 2.4, MicroAccuracy = 0.85, MacroAccuracy = 0.85, LogLoss = 0.4,
        Classes = ["a", "b"], PerClass = [], ConfusionMatrix = [[2, 0], [1, 0]], Examples = [], SkippedFiles = 0,
    };

    /// <summary>The warnings logged, as formatted.</summary>
    private sealed class LogRecorder : ILoggerProvider
    {
        private readonly List<string> _warnings = [];

        public IReadOnlyList<string> Warnings { get { lock (_warnings) return [.. _warnings]; } }

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose() { }

        private sealed class Logger(LogRecorder recorder) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel != LogLevel.Warning) return;
                lock (recorder._warnings) recorder._warnings.Add(formatter(state, exception));
            }
        }
    }
}
