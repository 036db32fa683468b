using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Live;
using LearnDL.Web.Tests.Live;
using LearnDL.Web.RunService;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LearnDL.Web.Tests.RunService;

/// <summary>
/// The seam between the queue and what executes a run carries plain data only: a run handed over as JSON,
/// its events and result sent back as JSON, still runs to the end, with its live page, result and model.
/// </summary>
public class RunExecutorTests
{
    /// <summary>The real in-process executor behind a wire: everything that crosses is written to JSON and read back.</summary>
    private sealed class OverTheWire(InProcessRunExecutor real) : Delegating(real)
    {
        public List<string> Specs { get; } = [];
        public int Events;

        public override async Task<RunResult> ExecuteAsync(RunSpec spec, DeviceChoice device, IRunEventSink sink, CancellationToken cancellationToken, CancellationToken stopping)
        {
            var sent = RunWire.Write(spec);
            lock (Specs) Specs.Add(sent);
            var result = await Real.ExecuteAsync(RunWire.Read<RunSpec>(sent), device, new WireSink(this, sink), cancellationToken, stopping);
            return RunWire.Read<RunResult>(RunWire.Write(result));
        }

        private sealed class WireSink(OverTheWire wire, IRunEventSink sink) : IRunEventSink
        {
            public void Report(RunEvent value)
            {
                Interlocked.Increment(ref wire.Events);
                sink.Report(RunWire.Read<RunEvent>(RunWire.Write(value)));
            }

            public Task RanOnAsync(string worker) => sink.RanOnAsync(worker);
        }
    }

    /// <summary>The in-process executor's answers for everything but the execution a test replaces.</summary>
    private abstract class Delegating(InProcessRunExecutor real) : IRunExecutor
    {
        protected InProcessRunExecutor Real => real;
        public virtual Task<RunResult> ExecuteAsync(RunSpec spec, DeviceChoice device, IRunEventSink sink, CancellationToken cancellationToken, CancellationToken stopping) =>
            real.ExecuteAsync(spec, device, sink, cancellationToken, stopping);
        public virtual Task<DeviceChoice> ChooseDeviceAsync(DeviceRequest request) => real.ChooseDeviceAsync(request);
        public string? DatasetProblem(string engineDataset, bool isUpload) => real.DatasetProblem(engineDataset, isUpload);
        public Task<IReadOnlyList<Guid>> ContinuingAsync(IReadOnlyCollection<Guid> runIds) => real.ContinuingAsync(runIds);
    }

    [Fact]
    public async Task ARunHandedOverAsData_RunsToTheEnd_WithItsLiveStateResultAndModel_AndNoPathOfThisServerCrosses()
    {
        await using var f = new QueueFixture(services: s =>
        {
            s.AddSingleton<InProcessRunExecutor>();
            s.AddSingleton<OverTheWire>();
            s.AddSingleton<IRunExecutor>(sp => sp.GetRequiredService<OverTheWire>());
        });
        var wire = f.Get<OverTheWire>();
        var dispatcher = f.Get<IEnumerable<IHostedService>>().OfType<RunDispatcher>().Single();
        await dispatcher.StartAsync(CancellationToken.None);
        Guid id;
        try
        {
            id = (await f.Queue.SubmitAsync(QueueFixture.Request(images: 16), QueueFixture.Owner("ada"))).RunId;
            await LiveUpdatesTests.Eventually(() => f.Runs.Snapshot(id)?.Status == RunStatus.Completed, 60_000);
        }
        finally { await dispatcher.StopAsync(CancellationToken.None); }

        var spec = Assert.Single(wire.Specs);
        Assert.DoesNotContain(f.Get<Microsoft.Extensions.Options.IOptions<LearnDLOptions>>().Value.ResolvedDataFolder, spec);
        Assert.Contains("\"device\":\"cpu\"", spec); // chosen at admission, not "auto"
        Assert.True(wire.Events > 3);
        Assert.Single(f.Runs.Snapshot(id)!.Epochs); // epoch metrics reached the live page through JSON
        Assert.True((await f.Store.GetAsync(id))!.Accuracy > 0);
        Assert.Equal(InProcessRunExecutor.Local, (await f.Store.GetAsync(id))!.Worker); // where it ran, stored
        Assert.True(f.Get<ModelFiles>().Exists(id));
    }

    /// <summary>A queue whose choice of device says so in its own words.</summary>
    private sealed class ChoosingInItsOwnWords(InProcessRunExecutor real) : Delegating(real)
    {
        public const string Reason = "The test's queue chose the CPU for this run.";

        public override Task<DeviceChoice> ChooseDeviceAsync(DeviceRequest request) => Task.FromResult(new DeviceChoice(ComputeDevice.Cpu, Reason));
    }

    [Fact]
    public async Task TheQueuesChoiceOfDevice_IsWhatTheEngineRunsOn_AndItsReasonIsTheResultsAndTheRecords()
    {
        await using var f = new QueueFixture(services: s =>
        {
            s.AddSingleton<InProcessRunExecutor>();
            s.AddSingleton<IRunExecutor, ChoosingInItsOwnWords>();
        });
        var dispatcher = f.Get<IEnumerable<IHostedService>>().OfType<RunDispatcher>().Single();
        await dispatcher.StartAsync(CancellationToken.None);
        Guid id;
        try
        {
            id = (await f.Queue.SubmitAsync(QueueFixture.Request(images: 12, device: DeviceRequest.Auto), QueueFixture.Owner("ada"))).RunId;
            await LiveUpdatesTests.Eventually(() => f.Runs.Snapshot(id)?.IsFinished == true, 60_000);
        }
        finally { await dispatcher.StopAsync(CancellationToken.None); }

        var record = (await f.Store.GetAsync(id))!;
        Assert.Equal(RunStatus.Completed, record.Status);
        // Asked for auto; the engine did not choose again (its own words would be "Auto fell back to the CPU: ...").
        Assert.Equal(("cpu", ChoosingInItsOwnWords.Reason), (record.Device, record.DeviceReason));
        Assert.Equal(ChoosingInItsOwnWords.Reason, RunStore.ResultOf(record)!.DeviceReason);
        Assert.Equal("auto", record.DeviceRequested);
    }

    /// <summary>Work that gives up on a time-out of its own: nobody cancelled the run.</summary>
    private sealed class TimingOut(InProcessRunExecutor real) : Delegating(real)
    {
        public override async Task<RunResult> ExecuteAsync(RunSpec spec, DeviceChoice device, IRunEventSink sink, CancellationToken cancellationToken, CancellationToken stopping)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
            await Task.Delay(TimeSpan.FromSeconds(30), timeout.Token);
            throw new InvalidOperationException("unreachable");
        }
    }

    [Fact]
    public async Task ATimeOutInsideTheWork_IsAFailureThatSaysSo_NotACancelNobodyAskedFor()
    {
        await using var f = new QueueFixture(services: s =>
        {
            s.AddSingleton<InProcessRunExecutor>();
            s.AddSingleton<IRunExecutor, TimingOut>();
        });
        var dispatcher = f.Get<IEnumerable<IHostedService>>().OfType<RunDispatcher>().Single();
        await dispatcher.StartAsync(CancellationToken.None);
        Guid id;
        try
        {
            id = (await f.Queue.SubmitAsync(QueueFixture.Request(), QueueFixture.Owner("ada"))).RunId;
            await LiveUpdatesTests.Eventually(() => f.Runs.Snapshot(id)?.IsFinished == true, 30_000);
        }
        finally { await dispatcher.StopAsync(CancellationToken.None); }
        var stored = (await f.Store.GetSummaryAsync(id))!;
        Assert.Equal(RunStatus.Failed, stored.Status);
        Assert.Contains("without anyone cancelling it", stored.Error);
        Assert.DoesNotContain("Cancelled", stored.Error);
    }
}
