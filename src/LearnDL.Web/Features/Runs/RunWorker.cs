using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Training;
using LearnDL.Web.Data;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Features.Runs;

/// <summary>
/// Serves the run queue in the background, off every circuit: a run goes on when its tab closes.
/// At most MaxConcurrentCpuRuns on the CPU and MaxConcurrentGpuRuns on the GPU at once.
/// </summary>
public sealed class RunWorker(RunQueue queue, RunHub hub, RunStore store, RunEngine engine, DeviceProbe probe,
    IOptions<LearnDLOptions> options, TimeProvider time, ILogger<RunWorker> logger) : BackgroundService
{
    private readonly SemaphoreSlim _cpu = new(options.Value.MaxConcurrentCpuRuns);
    private readonly SemaphoreSlim _gpu = new(options.Value.MaxConcurrentGpuRuns);
    private readonly List<Task> _running = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in queue.Reader.ReadAllAsync(stoppingToken))
            {
                lock (_running)
                {
                    _running.RemoveAll(t => t.IsCompleted);
                    _running.Add(Task.Run(() => RunAsync(job, stoppingToken), CancellationToken.None));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        Task[] left;
        lock (_running) left = [.. _running];
        await Task.WhenAll(left);
    }

    private async Task RunAsync(RunJob job, CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.Cancel.Token, stopping);
        var token = linked.Token;
        SemaphoreSlim? acquired = null;
        try
        {
            var device = probe.Choose(job.Options.Device);
            var slot = device.Device == ComputeDevice.Gpu ? _gpu : _cpu;
            await slot.WaitAsync(token);
            acquired = slot;
            await store.UpdateAsync(job.Id, r =>
            {
                r.Status = RunStatus.Running;
                r.StartedAt = time.GetUtcNow();
                r.Device = device.Device.ToId();
                r.DeviceReason = device.Reason;
            });
            hub.Started(job.Id, device.Device.ToId(), device.Reason);
            var result = await engine.RunAsync(job.Options, new InlineProgress<RunEvent>(e => hub.Report(job.Id, e)), token);
            var snapshot = hub.Snapshot(job.Id);
            await store.CompleteAsync(job.Id, result, new RunSeries(snapshot?.Throughput ?? [], snapshot?.ImagesDone ?? []), time.GetUtcNow());
            hub.Finished(job.Id, RunStatus.Completed, null);
        }
        catch (OperationCanceledException e) when (stopping.IsCancellationRequested)
        {
            await Finish(job.Id, RunStatus.Interrupted, $"The server stopped during this run. {(e as RunCancelledException)?.Message}".Trim());
        }
        catch (OperationCanceledException e)
        {
            await Finish(job.Id, RunStatus.Cancelled, e is RunCancelledException ? e.Message : "Cancelled before it started.");
        }
        catch (Exception e) when (e is DatasetException or DeviceUnavailableException or ArgumentException)
        {
            await Finish(job.Id, RunStatus.Failed, e.Message);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Run {RunId} failed", job.Id);
            await Finish(job.Id, RunStatus.Failed, $"The run failed unexpectedly: {e.Message}");
        }
        finally
        {
            acquired?.Release();
            queue.Done(job.Id);
        }
    }

    private async Task Finish(Guid id, RunStatus status, string message)
    {
        await store.UpdateAsync(id, r =>
        {
            r.Status = status;
            r.Error = message;
            r.FinishedAt = time.GetUtcNow();
        });
        hub.Finished(id, status, message);
    }
}
