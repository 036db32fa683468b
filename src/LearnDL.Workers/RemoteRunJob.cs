using System.Diagnostics;
using Hangfire;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Runs;
using Microsoft.Extensions.Logging;

namespace LearnDL.Workers;

/// <summary>
/// The Hangfire job a worker performs for one run: it takes the run's one attempt, runs the same
/// <see cref="RunEngine"/> as the web app, sends events as it goes and hands back the result and the
/// model. Whatever happens, the job itself ends normally: the outcome is LearnDL's (in the attempt row),
/// and Hangfire never retries a run.
/// </summary>
public sealed class RemoteRunJob(RunExchange exchange, DatasetExchange datasets, RunEngine engine, WorkerState state, DatabaseClock clock, ILogger<RemoteRunJob> logger)
{
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    public async Task RunAsync(Guid runId, CancellationToken cancellationToken)
    {
        var worker = state.Identity.Name;
        // The database may be restarting or out of reach: the job waits for it rather than fail (Hangfire would
        // drop it, and the run would wait for an attempt that never comes).
        var (spec, _) = await Transient.RetryAsync(() => exchange.SpecAsync(runId, CancellationToken.None), logger, $"reading run {ShortId(runId)}", cancellationToken);
        if (spec is null)
        {
            logger.LogWarning("Run {Run} has no specification in the jobs database; nothing to do", ShortId(runId));
            return;
        }
        // A job fetched again (its worker died, Hangfire's invisibility timeout passed) finds the attempt taken and does nothing.
        if (!await Transient.RetryAsync(() => exchange.ClaimAsync(runId, worker, CancellationToken.None), logger, $"taking run {ShortId(runId)}", cancellationToken))
        {
            logger.LogInformation("Run {Run} was already taken by a worker; it is not run again", ShortId(runId));
            return;
        }
        using var run = state.Begin(runId, cancellationToken);
        // The worker's part of the run's trace, under the web app's span for the run (its context came in the specification).
        using var span = RunTracing.Source.StartActivity("run on worker", ActivityKind.Consumer, RunTracing.ContextOf(spec.TraceParent));
        span?.SetTag(RunTracing.RunIdTag, runId.ToString());
        span?.SetTag("learndl.worker", worker);
        var (outcome, message, handBack) = await AttemptAsync(spec, run);
        span?.SetTag("learndl.run.outcome", InWords(outcome));
        if (outcome != AttemptOutcome.Completed) span?.SetStatus(ActivityStatusCode.Error, message);
        // Its end is kept once the database answers (a run must not stay "running" because its end met a restart);
        // the web app refuses it when it had given up on this worker meanwhile.
        if (!await Transient.RetryAsync(() => exchange.FinishAsync(runId, outcome, message, handBack, CancellationToken.None), logger, $"ending run {ShortId(runId)}"))
        {
            logger.LogWarning("Run {Run} finished ({Outcome}) after the web app had given up on it; its result is not kept", ShortId(runId), InWords(outcome));
            await Transient.RetryAsync(() => exchange.ReportLateAsync(new LateEnd(runId, worker, outcome), CancellationToken.None), logger, $"telling the web app of run {ShortId(runId)}");
        }
        else if (message is null)
            logger.LogInformation("Run {Run} finished: {Outcome}", ShortId(runId), InWords(outcome));
        else
            logger.LogInformation("Run {Run} finished: {Outcome}. {Message}", ShortId(runId), InWords(outcome), message);
    }

    /// <summary>The start of the run's id, as in its page's address: enough to tell runs apart in a log.</summary>
    internal static string ShortId(Guid runId) => runId.ToString("N")[..8] + "…";

    private static string InWords(AttemptOutcome outcome) => outcome switch
    {
        AttemptOutcome.Completed => "completed",
        AttemptOutcome.Failed => "failed",
        AttemptOutcome.Cancelled => "cancelled",
        AttemptOutcome.Interrupted => "interrupted",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    private async Task<(AttemptOutcome, string?, RunHandBack?)> AttemptAsync(RunSpec spec, RunningRun run)
    {
        var worker = state.Identity.Name;
        var modelPath = Path.Combine(Path.GetTempPath(), $"learndl-worker-{spec.Id:N}.zip");
        try
        {
            if (await exchange.CancelRequestedAsync(spec.Id, CancellationToken.None))
                return (AttemptOutcome.Cancelled, RunEndings.CancelledBeforeStart, null);
            var dataset = spec.Options.Dataset.StartsWith(DatasetExchange.Prefix, StringComparison.Ordinal)
                ? FolderDataset.Prefix + await datasets.FetchAsync(spec.Options.Dataset, state.Identity.CacheFolder, run.Token)
                : spec.Options.Dataset;
            RunResult result;
            await using (var events = new EventPublisher(exchange, spec.Id, worker, clock, logger))
                result = await engine.RunAsync(spec.Options with { Dataset = dataset, SaveModelPath = modelPath }, spec.ChosenDevice(), events, run.Token);
            return (AttemptOutcome.Completed, null, new RunHandBack(result, await File.ReadAllBytesAsync(modelPath)));
        }
        catch (OperationCanceledException e) when (run.Reason == RunStopReason.Cancelled)
        {
            return (AttemptOutcome.Cancelled, e is RunCancelledException ? e.Message : RunEndings.CancelledBeforeStart, null);
        }
        catch (OperationCanceledException) when (run.Reason == RunStopReason.Abandoned)
        {
            return (AttemptOutcome.Interrupted, $"Worker {worker} could not reach the jobs database for too long; the web app gave up on this run.", null);
        }
        catch (OperationCanceledException e)
        {
            // Its worker was stopped (a second Ctrl+C, or Hangfire shutting the server down).
            return (AttemptOutcome.Interrupted, $"Worker {worker} was stopped during this run. {(e as RunCancelledException)?.Message}".Trim(), null);
        }
        catch (Exception e) when (e is DatasetException or DeviceUnavailableException or ArgumentException or InvalidDataException)
        {
            return (AttemptOutcome.Failed, $"{e.Message} (on worker {worker})", null);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Run {RunId} failed", spec.Id);
            return (AttemptOutcome.Failed, $"The run failed unexpectedly on worker {worker}: {e.Message}", null);
        }
        finally
        {
            File.Delete(modelPath);
        }
    }
}
