using System.Diagnostics;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Live;

namespace LearnDL.Web.RunService;

/// <summary>
/// Serves the run queue in the background, off every circuit: a run goes on when its tab closes.
/// Each device's lane is served on its own, as many runs at once as the lane has workers. It changes no
/// run's state itself: it tells the run's lifecycle what happened (started, its result, how it ended).
/// </summary>
public sealed class RunDispatcher(RunQueue queue, RunLifecycle runs, LiveUpdates updates, IRunExecutor executor, ILogger<RunDispatcher> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enum.GetValues<ComputeDevice>().Select(device => ServeAsync(device, stoppingToken)));

    private async Task ServeAsync(ComputeDevice device, CancellationToken stopping)
    {
        var running = new List<Task>();
        try
        {
            while (true)
            {
                var item = await queue.NextAsync(device, stopping);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(Task.Run(() => item switch
                {
                    RunJob job => RunAsync(job, stopping),
                    WorkItem work => DoAsync(work, stopping),
                    _ => throw new InvalidOperationException($"Unknown queue item {item.GetType().Name}."),
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
        await Task.WhenAll(running);
    }

    private async Task RunAsync(RunJob job, CancellationToken stopping)
    {
        // The run's span, from its admission under the click that asked for it; current here, so the engine's stages (in this
        // process) nest under it, and its context travels in the specification to a worker's spans.
        using var span = RunTracing.Source.StartActivity("run", ActivityKind.Internal, job.Trace, startTime: job.SubmittedAt);
        span?.SetTag(RunTracing.RunIdTag, job.Id.ToString());
        span?.SetTag("learndl.device", job.Device.Device.ToId());
        RunTracing.StartChild("queued", span?.Context ?? default, startTime: job.SubmittedAt)?.Dispose();
        try
        {
            job.Cancellation.Token.ThrowIfCancellationRequested();
            stopping.ThrowIfCancellationRequested();
            if (!await runs.StartAsync(job.Id, job.Device, job.StartedBefore)) return;
            // The device was chosen at admission (the lane depends on it): the engine runs on that choice, and its result keeps the reason.
            var spec = RunSpec.For(job.Id, job.Options, job.Device.Device) with { TraceParent = span.TraceParent() };
            var result = await executor.ExecuteAsync(spec, job.Device, runs.ReporterFor(job.Id), job.Cancellation.Token, stopping);
            await runs.CompleteAsync(job.Id, result);
        }
        catch (RunContinuesElsewhereException e)
        {
            logger.LogInformation("Run {RunId}: {Message} This app follows it again when it starts.", job.Id, e.Message);
        }
        catch (RunEndedException e)
        {
            await runs.FinishAsync(job.Id, e.Status, e.Message);
        }
        catch (OperationCanceledException e) when (stopping.IsCancellationRequested)
        {
            await runs.FinishAsync(job.Id, RunStatus.Interrupted, RunEndings.ServerStopped((e as RunCancelledException)?.Message));
        }
        catch (OperationCanceledException e) when (job.Cancellation.IsCancellationRequested)
        {
            await runs.FinishAsync(job.Id, RunStatus.Cancelled, e is RunCancelledException ? e.Message : RunEndings.CancelledBeforeStart);
        }
        catch (OperationCanceledException e)
        {
            // Nobody asked for this one (a time-out inside the work): a failure, not a cancel.
            logger.LogError(e, "Run {RunId} was stopped by a cancellation nobody asked for", job.Id);
            await runs.FinishAsync(job.Id, RunStatus.Failed, RunEndings.TimedOut(e.Message));
        }
        catch (Exception e) when (e is DatasetException or DeviceUnavailableException or ArgumentException)
        {
            await runs.FinishAsync(job.Id, RunStatus.Failed, e.Message);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Run {RunId} failed", job.Id);
            await runs.FinishAsync(job.Id, RunStatus.Failed, RunEndings.FailedUnexpectedly(e.Message));
        }
        finally
        {
            queue.Complete(job);
            if (span is not null && runs.Snapshot(job.Id, withSeries: false)?.Status is { } status && status.IsFinished())
            {
                span.SetTag("learndl.run.outcome", status.ToString().ToLowerInvariant());
                if (status != RunStatus.Completed) span.SetStatus(ActivityStatusCode.Error, status.ToString());
            }
        }
    }

    /// <summary>Work that is not a run: it holds the device's worker until done, then frees it before its owner hears how it ended.</summary>
    private async Task DoAsync(WorkItem work, CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(work.Cancellation.Token, stopping);
        Exception? failure = null;
        var cancelled = false;
        try
        {
            work.Started.TrySetResult();
            await work.Work(linked.Token);
        }
        catch (OperationCanceledException) { cancelled = true; }
        catch (Exception e)
        {
            logger.LogError(e, "{Work} failed", work.Title);
            failure = e;
        }
        queue.Complete(work);
        updates.QueueChanged();
        if (failure is not null) work.Completion.TrySetException(failure);
        else if (cancelled) work.Completion.TrySetCanceled();
        else work.Completion.TrySetResult();
    }
}
