using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;

namespace LearnDL.Web.RunService;

/// <summary>
/// Executes a run the queue has started: the seam between LearnDL's own rules (admission, turns, shared
/// runs, positions: the queue) and the machines that do the work. What crosses it is plain data (a
/// <see cref="RunSpec"/> in, <see cref="RunEvent"/>s and a <see cref="RunResult"/> out), so a run can
/// execute in this process (<see cref="InProcessRunExecutor"/>) or on a worker machine
/// (the Workers folder's remote executor); the model ends up where <see cref="ModelFiles"/> says. Which one serves
/// an app is registered once, by AddWorkers.
/// </summary>
public interface IRunExecutor
{
    /// <summary>Runs it (or, after a restart, follows it where it already runs) and returns its result. A run that ended otherwise throws.</summary>
    /// <param name="cancellationToken">Someone stopped this run.</param>
    /// <param name="stopping">This app is stopping: a run in its process stops with it; one on a worker goes on
    /// (<see cref="RunContinuesElsewhereException"/>) and is followed again after the restart.</param>
    /// <param name="device">The queue's choice for the run, with its reason: what it runs on, and what its result says.</param>
    Task<RunResult> ExecuteAsync(RunSpec spec, DeviceChoice device, IRunEventSink sink, CancellationToken cancellationToken, CancellationToken stopping);

    /// <summary>Which device's line a request joins, and why; throws <see cref="DeviceUnavailableException"/> when it can never run.</summary>
    Task<DeviceChoice> ChooseDeviceAsync(DeviceRequest request);

    /// <summary>Why runs of this dataset (as the engine names it) cannot go where this executor sends them, or null.</summary>
    string? DatasetProblem(string engineDataset, bool isUpload);

    /// <summary>Of the runs that were running when the app stopped, those that go on elsewhere and can be followed again.</summary>
    Task<IReadOnlyList<Guid>> ContinuingAsync(IReadOnlyCollection<Guid> runIds);
}

/// <summary>Whether runs can have the GPU, as every page that offers it asks.</summary>
/// <param name="MayAsk">A GPU run may be asked for (with worker machines it may wait in the GPU line for a GPU worker).</param>
/// <param name="Why">Why a run would not start on a GPU now, in the learner's words; null when it would.</param>
public sealed record GpuAnswer(bool MayAsk, string? Why);

public static class RunExecutorQuestions
{
    /// <summary>"Why not the GPU?" for runs, asked in one place: the words are the executor's (this machine's probe, or the worker machines').</summary>
    public static async Task<GpuAnswer> WhyNotGpuAsync(this IRunExecutor executor)
    {
        try { await executor.ChooseDeviceAsync(DeviceRequest.Gpu); }
        catch (DeviceUnavailableException e) { return new(false, e.Message); }
        var auto = await executor.ChooseDeviceAsync(DeviceRequest.Auto);
        return new(true, auto.Device == ComputeDevice.Gpu ? null : auto.Reason);
    }
}

/// <summary>Where a run reports what happens to it: its events, and the machine it runs on.</summary>
public interface IRunEventSink : IProgress<RunEvent>
{
    Task RanOnAsync(string worker);
}

/// <summary>A run that ended on a worker otherwise than completed (failed, cancelled, its worker gone), with the reason to store.</summary>
public sealed class RunEndedException(RunStatus status, string message) : Exception(message)
{
    public RunStatus Status => status;
}

/// <summary>The app stopped following a run that goes on on a worker; the restarted app follows it again.</summary>
public sealed class RunContinuesElsewhereException(string worker) : Exception($"The run goes on on {worker}.");

/// <summary>This server executes the run itself, with the engine every run shares (the default).</summary>
public sealed class InProcessRunExecutor(RunEngine engine, ModelFiles models, DeviceProbe probe) : IRunExecutor
{
    /// <summary>The name a run that ran in the web app's own process shows as its worker.</summary>
    public const string Local = "local";

    public async Task<RunResult> ExecuteAsync(RunSpec spec, DeviceChoice device, IRunEventSink sink, CancellationToken cancellationToken, CancellationToken stopping)
    {
        await sink.RanOnAsync(Local);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        // Every run keeps its trained model, so its page can classify a new image and offer the file.
        return await engine.RunAsync(spec.Options with { SaveModelPath = models.PathFor(spec.Id) }, device, sink, either.Token);
    }

    public async Task<DeviceChoice> ChooseDeviceAsync(DeviceRequest request)
    {
        // Only the GPU build needs the probe's report to choose; the CPU build answers at once.
        if (request != DeviceRequest.Cpu && probe.Build.IsGpu) await probe.ReportAsync();
        return probe.Choose(request);
    }

    public string? DatasetProblem(string engineDataset, bool isUpload) => null;

    /// <summary>A run in this process ended with it.</summary>
    public Task<IReadOnlyList<Guid>> ContinuingAsync(IReadOnlyCollection<Guid> runIds) => Task.FromResult<IReadOnlyList<Guid>>([]);
}
