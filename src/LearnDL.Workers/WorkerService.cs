using Hangfire;
using Hangfire.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using LearnDL.Training.Text;

namespace LearnDL.Workers;

/// <summary>
/// A worker's life: announce itself, serve its queues through a Hangfire server with one worker per
/// slot, heartbeat, hear cancel requests, and on a drain (Ctrl+C, or the instructor's button) take no
/// new runs, finish the running ones, and leave the register.
/// </summary>
public sealed class WorkerService(
    JobsDatabase database, PostgreSqlStorage storage, WorkerRegistry registry, RunExchange exchange, WorkerState state, WorkerInfo announcement, DatabaseClock clock,
    IServiceScopeFactory scopes, IHostApplicationLifetime lifetime, ILogger<WorkerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var name = state.Identity.Name;
        var queues = JobsDatabase.QueuesOf(announcement.Device, announcement.Datasets);
        var server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            ServerName = name,
            Queues = queues,
            WorkerCount = state.Identity.Slots,
            Activator = new Hangfire.AspNetCore.AspNetCoreJobActivator(scopes),
            // Stopping (a drain) only stops fetching: the runs in progress go on until they end.
            StopTimeout = TimeSpan.FromDays(1),
            CancellationCheckInterval = TimeSpan.FromSeconds(5),
        }, storage);
        using var listening = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var cancels = ListenForCancelsAsync(listening.Token);
        logger.LogInformation("Worker {Name} serves {Serves}, {Slots} at a time", name,
            JobsDatabase.ServesInWords(announcement.Device, announcement.Datasets), Plural.Of(state.Identity.Slots, "run"));
        try
        {
            while (!state.Drained.Task.IsCompleted && !stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (await registry.HeartbeatAsync(name, state.Busy, stoppingToken) && !state.Draining)
                    {
                        logger.LogInformation("The instructor asked worker {Name} to drain", name);
                        state.Drain();
                    }
                    await clock.SyncAsync(database, stoppingToken);
                    // Back after a cut: a run the web app gave up on meanwhile (it heard nothing for too long) stops here too.
                    foreach (var runId in await exchange.EndedAsync(state.Running, stoppingToken))
                    {
                        logger.LogWarning("Run {Run} was given up by the web app while this worker could not reach it; its work stops", RemoteRunJob.ShortId(runId));
                        state.Abandoned(runId);
                    }
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    logger.LogWarning("Heartbeat failed: {Message}", e.Message);
                }
                if (state.Draining) server.SendStop();
                await Task.WhenAny(state.Drained.Task, Task.Delay(WorkerRegistry.HeartbeatInterval, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            state.StopAll();
            server.SendStop();
            await server.WaitForShutdownAsync(CancellationToken.None);
            server.Dispose();
            await listening.CancelAsync();
            await cancels;
            try { await registry.LeaveAsync(name, CancellationToken.None); }
            catch (Exception e) when (e is NpgsqlException or TimeoutException) { logger.LogWarning("Could not leave the register: {Message}", e.Message); }
            logger.LogInformation("Worker {Name} left", name);
            lifetime.StopApplication();
        }
    }

    /// <summary>LISTEN for cancel requests: one reaches its run within a moment, not at the next poll.</summary>
    private async Task ListenForCancelsAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.Source.OpenConnectionAsync(stop);
                connection.Notification += (_, e) =>
                {
                    if (Guid.TryParse(e.Payload, out var runId)) state.Cancel(runId);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {JobsDatabase.CancelChannel}", connection))
                    await listen.ExecuteNonQueryAsync(stop);
                // NOTIFY does not replay: a cancel sent while this connection was down is read from its row.
                foreach (var runId in state.Running)
                    if (await exchange.CancelRequestedAsync(runId, stop)) state.Cancel(runId);
                while (true) await connection.WaitAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
            {
                logger.LogWarning("Listening for cancels failed, retrying: {Message}", e.Message);
                try { await Task.Delay(TimeSpan.FromSeconds(1), stop); } catch (OperationCanceledException) { return; }
            }
        }
    }
}
