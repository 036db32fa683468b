using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.RunService;
using LearnDL.Workers;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Workers;

/// <summary>
/// Runs go to worker machines through Hangfire on PostgreSQL. The queue hands a run over only when a
/// worker slot of its device is free, so the order stays LearnDL's; this executor stores the run's
/// specification (an upload travels by content hash), enqueues one Hangfire job on the device's queue,
/// then follows the run's single attempt: events through LISTEN/NOTIFY, its end through the attempt row.
/// A cancel reaches the worker at once; a worker that goes silent makes the run Interrupted.
/// </summary>
public sealed class RemoteRunExecutor(
    RunExchange exchange, DatasetExchange datasets, LiveWorkers directory, JobsListener listener, IBackgroundJobClient jobs,
    ModelFiles models, IOptions<LearnDLOptions> options, ILogger<RemoteRunExecutor> logger) : IRunExecutor
{
    /// <summary>How often a followed run is looked at when nothing wakes it: a dead worker is noticed within this after its silence.</summary>
    private static readonly TimeSpan LookEvery = TimeSpan.FromSeconds(2);

    public async Task<RunResult> ExecuteAsync(RunSpec spec, DeviceChoice device, IRunEventSink sink, CancellationToken cancellationToken, CancellationToken stopping)
    {
        using var follower = listener.Follow(spec.Id, sink); // before the hand-off, so no event is missed
        // The jobs database may be restarting: the hand-off waits for it (a run must not fail for a restart).
        // A hand-off tried twice may enqueue two jobs; the second finds the attempt taken and does nothing.
        var (handedOff, jobId) = await Transient.RetryAsync(() => exchange.SpecAsync(spec.Id, CancellationToken.None), logger, $"handing run {spec.Id} off", stopping);
        if (handedOff is null)
        {
            var portable = spec with { Options = spec.Options with { Dataset = await PortableDatasetAsync(spec.Options.Dataset, cancellationToken) } };
            var queue = JobsDatabase.QueueFor(device.Device.ToId(), portable.Options.Dataset);
            await Transient.RetryAsync(() => exchange.DispatchAsync(portable, queue,
                () => jobId = jobs.Create(Job.FromExpression<RemoteRunJob>(j => j.RunAsync(spec.Id, CancellationToken.None)), new EnqueuedState(queue)),
                CancellationToken.None), logger, $"handing run {spec.Id} off", stopping);
        }

        string? worker = null;
        var cancelAsked = false;
        var first = true;
        var unreachable = false;
        while (true)
        {
            try
            {
                var attempt = await exchange.AttemptAsync(spec.Id, CancellationToken.None);
                if (unreachable) logger.LogInformation("Run {RunId}: the jobs database answers again", spec.Id);
                unreachable = false;
                if (attempt?.Worker is { } name && name != worker)
                {
                    worker = name;
                    await sink.RanOnAsync(name);
                }
                // Followed again after a restart: the run's latest state before any new event.
                if (first && attempt?.LastEvent is { } last) sink.Report(RunWire.Read<RunNote>(last).Event);
                first = false;
                if (attempt is { Finished: true }) return await EndAsync(attempt, device);

                if (cancellationToken.IsCancellationRequested && !cancelAsked)
                {
                    await exchange.RequestCancelAsync(spec.Id, CancellationToken.None);
                    cancelAsked = true;
                    // Not started yet: it ends here, and the job is taken off Hangfire's queue (a late fetch would find the attempt taken anyway).
                    if (attempt is null && await exchange.EndUnstartedAsync(spec.Id, AttemptOutcome.Cancelled, RunEndings.CancelledBeforeStart, CancellationToken.None))
                    {
                        if ((jobId ?? (await exchange.SpecAsync(spec.Id, CancellationToken.None)).JobId) is { } id) jobs.Delete(id);
                        continue;
                    }
                }
                // Silence is judged on the database's clock (now() - heartbeat_at), so a worker whose clock is off is judged right.
                if (attempt is { Finished: false } running && (running.WorkerSilentSeconds is null || running.WorkerSilentSeconds > WorkerInfo.Silence.TotalSeconds))
                {
                    var message = $"Worker {running.Worker} stopped answering during this run. Run it again: the next run goes to a worker that answers.";
                    if (await exchange.AbandonAsync(spec.Id, message, CancellationToken.None))
                    {
                        logger.LogWarning("Run {RunId}: worker {Worker} went silent; the run is interrupted", spec.Id, running.Worker);
                        throw new RunEndedException(RunStatus.Interrupted, message);
                    }
                    continue;
                }
            }
            catch (Exception e) when (Transient.Is(e))
            {
                // The database restarts or is out of reach: the run neither ends nor fails for that; its worker's
                // silence is judged again, on the database's clock, once it answers.
                if (!unreachable) logger.LogWarning("Run {RunId}: the jobs database does not answer ({Message}); following it again when it does", spec.Id, e.Message);
                unreachable = true;
            }
            if (stopping.IsCancellationRequested) throw new RunContinuesElsewhereException(worker is null ? "a worker" : $"worker {worker}");
            await follower.WaitAsync(LookEvery, cancelAsked || unreachable ? CancellationToken.None : cancellationToken, stopping);
        }
    }

    public Task<DeviceChoice> ChooseDeviceAsync(DeviceRequest request)
    {
        var gpus = directory.Serving(ComputeDevice.Gpu);
        var gpuWorkers = string.Join("; ", gpus.Select(w => $"{w.Gpu} on {w.Name}"));
        return Task.FromResult(request switch
        {
            DeviceRequest.Cpu => new DeviceChoice(ComputeDevice.Cpu, "The CPU was requested; it runs on a CPU worker machine."),
            DeviceRequest.Gpu when gpus.Count > 0 => new DeviceChoice(ComputeDevice.Gpu, $"The GPU was requested; it runs on a GPU worker ({gpuWorkers})."),
            DeviceRequest.Gpu => new DeviceChoice(ComputeDevice.Gpu, "The GPU was requested, but no GPU worker is connected now: the run waits in the GPU line until one joins."),
            _ when gpus.Count > 0 => new DeviceChoice(ComputeDevice.Gpu, $"Auto chose the GPU: a GPU worker is connected ({gpuWorkers})."),
            _ => new DeviceChoice(ComputeDevice.Cpu, "Auto chose the CPU: no GPU worker is connected."),
        });
    }

    public string? DatasetProblem(string engineDataset, bool isUpload)
    {
        if (engineDataset.StartsWith(FolderDataset.Prefix, StringComparison.OrdinalIgnoreCase) && !isUpload)
            return "Folder datasets exist only on the web server, and this class runs on worker machines. Upload the folder as a .zip (Datasets page): uploads travel to the workers.";
        if (engineDataset.Equals(FashionMnistDataset.Name, StringComparison.OrdinalIgnoreCase) && !directory.AnyServingHas(FashionMnistDataset.Name))
            return "No connected worker has Fashion-MNIST installed, so no run on it can start. Install it on a worker machine (dataset-fashion-mnist) or choose another dataset.";
        return null;
    }

    public async Task<IReadOnlyList<Guid>> ContinuingAsync(IReadOnlyCollection<Guid> runIds) =>
        runIds.Count == 0 ? [] : await exchange.DispatchedAsync(runIds);

    /// <summary>The dataset as a worker can find it: built-in names as they are, an upload by its content hash (stored once in the database).</summary>
    private async Task<string> PortableDatasetAsync(string dataset, CancellationToken cancellationToken)
    {
        if (!dataset.StartsWith(FolderDataset.Prefix, StringComparison.OrdinalIgnoreCase)) return dataset;
        var folder = Path.GetFullPath(dataset[FolderDataset.Prefix.Length..]);
        if (!folder.StartsWith(Path.GetFullPath(options.Value.UploadsFolder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new RunEndedException(RunStatus.Failed, DatasetProblem(dataset, isUpload: false)!);
        return await datasets.ShipAsync(folder, Path.GetFileName(folder), cancellationToken);
    }

    /// <summary>How the attempt ended; a result keeps the reason the queue gave for its device (the wire carries the device only).</summary>
    private async Task<RunResult> EndAsync(AttemptState attempt, DeviceChoice device)
    {
        switch (attempt.Outcome)
        {
            case AttemptOutcome.Completed:
                var handBack = await exchange.HandBackAsync(attempt.RunId);
                var path = models.PathFor(attempt.RunId);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllBytesAsync(path, handBack.Model);
                return handBack.Result with { ModelPath = path, DeviceReason = device.Reason };
            case AttemptOutcome.Cancelled:
                throw new RunEndedException(RunStatus.Cancelled, attempt.Message ?? "Cancelled.");
            case AttemptOutcome.Interrupted:
                throw new RunEndedException(RunStatus.Interrupted, $"{attempt.Message} Run it again from its page.".Trim());
            default:
                throw new RunEndedException(RunStatus.Failed, attempt.Message ?? "The run failed on its worker.");
        }
    }
}
