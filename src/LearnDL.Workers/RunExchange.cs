using System.Text.Json;
using LearnDL.Training.Runs;
using Npgsql;

namespace LearnDL.Workers;

/// <summary>How a run's one attempt ended.</summary>
public enum AttemptOutcome { Completed, Failed, Cancelled, Interrupted }

/// <summary>A run's attempt as the database has it; <see cref="WorkerSilentSeconds"/> is null when its worker left the register.</summary>
public sealed record AttemptState(Guid RunId, string? Worker, AttemptOutcome? Outcome, string? Message, string? LastEvent, double? WorkerSilentSeconds)
{
    public bool Finished => Outcome is not null;
}

/// <summary>A run event on its way from a worker to the web app (the NOTIFY payload), stamped when sent on the database's clock.</summary>
public sealed record RunNote(Guid Run, string Worker, DateTimeOffset Sent, RunEvent Event);

/// <summary>A worker's end of a run the web app had already ended without it (the NOTIFY payload on <see cref="JobsDatabase.LateChannel"/>).</summary>
public sealed record LateEnd(Guid Run, string Worker, AttemptOutcome Outcome);

/// <summary>What a finished run hands back: its result with the examples' pictures, and the trained model's bytes.</summary>
public sealed record RunHandBack(RunResult Result, byte[] Model);

/// <summary>
/// What crosses between the web app and the workers for one run, as rows: its specification (dispatch),
/// its single attempt (claimed by a worker, ended with a result or a reason), cancel requests, and the
/// events of a running attempt (NOTIFY, the latest kept for anyone who reconnects).
/// </summary>
public sealed class RunExchange(JobsDatabase database)
{
    /// <summary>Records the run's specification once; <paramref name="enqueue"/> (the Hangfire hand-off) runs only if no job was handed off yet.</summary>
    public async Task DispatchAsync(RunSpec spec, string queue, Func<string> enqueue, CancellationToken cancellationToken = default)
    {
        await using (var insert = database.Source.CreateCommand("""
            INSERT INTO learndl.dispatches (run_id, queue, spec, dispatched_at) VALUES (@id, @queue, @spec, now()) ON CONFLICT (run_id) DO NOTHING
            """))
        {
            insert.Parameters.AddWithValue("id", spec.Id);
            insert.Parameters.AddWithValue("queue", queue);
            insert.Parameters.AddWithValue("spec", RunWire.Write(spec));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var jobOf = database.Source.CreateCommand("SELECT job_id FROM learndl.dispatches WHERE run_id = @id");
        jobOf.Parameters.AddWithValue("id", spec.Id);
        if (await jobOf.ExecuteScalarAsync(cancellationToken) is string) return; // handed off before (this is the app after a restart)
        var jobId = enqueue();
        await using var update = database.Source.CreateCommand("UPDATE learndl.dispatches SET job_id = @job WHERE run_id = @id");
        update.Parameters.AddWithValue("id", spec.Id);
        update.Parameters.AddWithValue("job", jobId);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Of these runs, those that were handed to the workers: they go on without the web app.</summary>
    public async Task<IReadOnlyList<Guid>> DispatchedAsync(IReadOnlyCollection<Guid> runIds, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("SELECT run_id FROM learndl.dispatches WHERE run_id = ANY(@ids)");
        command.Parameters.AddWithValue("ids", runIds.ToArray());
        var found = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) found.Add(reader.GetGuid(0));
        return found;
    }

    public async Task<(RunSpec? Spec, string? JobId)> SpecAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("SELECT spec, job_id FROM learndl.dispatches WHERE run_id = @id");
        command.Parameters.AddWithValue("id", runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return (null, null);
        return (RunWire.Read<RunSpec>(reader.GetString(0)), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    /// <summary>Takes the run's one attempt for a worker. False when it already has one: a job fetched twice does nothing the second time.</summary>
    public async Task<bool> ClaimAsync(Guid runId, string worker, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand(
            "INSERT INTO learndl.attempts (run_id, worker, started_at) VALUES (@id, @worker, now()) ON CONFLICT (run_id) DO NOTHING");
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("worker", worker);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Ends a run no worker has started yet (it was cancelled meanwhile): the attempt is taken, so a later fetch does nothing. False when a worker got there first.</summary>
    public async Task<bool> EndUnstartedAsync(Guid runId, AttemptOutcome outcome, string message, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("""
            INSERT INTO learndl.attempts (run_id, started_at, finished_at, outcome, message) VALUES (@id, now(), now(), @outcome, @message)
            ON CONFLICT (run_id) DO NOTHING
            """);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("outcome", outcome.ToString());
        command.Parameters.AddWithValue("message", message);
        var ended = await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        if (ended) await database.NotifyAsync(JobsDatabase.DoneChannel, runId.ToString(), cancellationToken);
        return ended;
    }

    /// <summary>Asks the worker running it to stop (it hears within a moment), and remembers it for a worker yet to start it.</summary>
    public async Task RequestCancelAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("INSERT INTO learndl.cancels (run_id, at) VALUES (@id, now()) ON CONFLICT (run_id) DO NOTHING");
        command.Parameters.AddWithValue("id", runId);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await database.NotifyAsync(JobsDatabase.CancelChannel, runId.ToString(), cancellationToken);
    }

    public async Task<bool> CancelRequestedAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("SELECT EXISTS (SELECT 1 FROM learndl.cancels WHERE run_id = @id)");
        command.Parameters.AddWithValue("id", runId);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>Sends an event to the web app and keeps it as the run's latest, in one round trip. Events too big for a NOTIFY are kept only.</summary>
    public async Task ReportAsync(RunNote note, CancellationToken cancellationToken = default)
    {
        var json = RunWire.Write(note);
        await using var command = database.Source.CreateCommand(
            "UPDATE learndl.attempts SET last_event = @json WHERE run_id = @id AND finished_at IS NULL; " +
            (json.Length < RunWire.MaxEventBytes ? "SELECT pg_notify(@channel, @json);" : ""));
        command.Parameters.AddWithValue("id", note.Run);
        command.Parameters.AddWithValue("json", json);
        command.Parameters.AddWithValue("channel", JobsDatabase.EventsChannel);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Ends the attempt with its outcome (and, when it completed, its result and model) and tells the web
    /// app. False when the web app had already given up on it (it thought this worker gone): nothing is kept.
    /// </summary>
    public async Task<bool> FinishAsync(Guid runId, AttemptOutcome outcome, string? message, RunHandBack? handBack = null, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("""
            UPDATE learndl.attempts SET finished_at = now(), outcome = @outcome, message = @message, result = @result, thumbnails = @thumbnails, model = @model
            WHERE run_id = @id AND finished_at IS NULL
            """);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("outcome", outcome.ToString());
        command.Parameters.AddWithValue("message", (object?)message ?? DBNull.Value);
        command.Parameters.AddWithValue("result", handBack is null ? DBNull.Value : RunWire.Write(handBack.Result with { ModelPath = null }));
        command.Parameters.AddWithValue("thumbnails", handBack is null ? DBNull.Value
            : JsonSerializer.Serialize(handBack.Result.Examples.Select(e => e.ThumbnailPng is { } png ? Convert.ToBase64String(png) : null)));
        command.Parameters.Add(new NpgsqlParameter("model", NpgsqlTypes.NpgsqlDbType.Bytea) { Value = (object?)handBack?.Model ?? DBNull.Value });
        var kept = await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        if (kept) await database.NotifyAsync(JobsDatabase.DoneChannel, runId.ToString(), cancellationToken);
        return kept;
    }

    /// <summary>Tells the web app that a worker ended a run after the app had given up on it: the app refuses it, and logs that.</summary>
    public Task ReportLateAsync(LateEnd late, CancellationToken cancellationToken = default) =>
        database.NotifyAsync(JobsDatabase.LateChannel, RunWire.Write(late), cancellationToken);

    /// <summary>Of the runs a worker is running, those whose attempt the web app has ended meanwhile (it gave up on them while the worker was cut off).</summary>
    public async Task<IReadOnlyList<Guid>> EndedAsync(IReadOnlyCollection<Guid> runIds, CancellationToken cancellationToken = default)
    {
        if (runIds.Count == 0) return [];
        await using var command = database.Source.CreateCommand("SELECT run_id FROM learndl.attempts WHERE run_id = ANY(@ids) AND finished_at IS NOT NULL");
        command.Parameters.AddWithValue("ids", runIds.ToArray());
        var ended = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) ended.Add(reader.GetGuid(0));
        return ended;
    }

    /// <summary>The web app gives up on an attempt whose worker went silent; false when it had ended meanwhile.</summary>
    public async Task<bool> AbandonAsync(Guid runId, string message, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand(
            "UPDATE learndl.attempts SET finished_at = now(), outcome = @outcome, message = @message WHERE run_id = @id AND finished_at IS NULL");
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("outcome", nameof(AttemptOutcome.Interrupted));
        command.Parameters.AddWithValue("message", message);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The run's attempt and how long its worker has been silent; null before any worker took it.</summary>
    public async Task<AttemptState?> AttemptAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("""
            SELECT a.worker, a.outcome, a.message, a.last_event, extract(epoch FROM now() - w.heartbeat_at)::double precision
            FROM learndl.attempts a LEFT JOIN learndl.workers w ON w.name = a.worker WHERE a.run_id = @id
            """);
        command.Parameters.AddWithValue("id", runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new(runId, reader.IsDBNull(0) ? null : reader.GetString(0),
            reader.IsDBNull(1) ? null : Enum.Parse<AttemptOutcome>(reader.GetString(1)),
            reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetDouble(4));
    }

    /// <summary>A completed run's result (its examples' pictures put back) and model bytes.</summary>
    public async Task<RunHandBack> HandBackAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("SELECT result, thumbnails, model FROM learndl.attempts WHERE run_id = @id AND outcome = @outcome");
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("outcome", nameof(AttemptOutcome.Completed));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException($"Run {runId} has no completed attempt.");
        var result = RunWire.Read<RunResult>(reader.GetString(0));
        var thumbnails = JsonSerializer.Deserialize<string?[]>(reader.GetString(1)) ?? [];
        var examples = result.Examples.Select((e, i) => i < thumbnails.Length && thumbnails[i] is { } png ? e with { ThumbnailPng = Convert.FromBase64String(png) } : e).ToList();
        return new(result with { Examples = examples }, reader.GetFieldValue<byte[]>(2));
    }
}
