using Npgsql;

namespace LearnDL.Workers;

/// <summary>A worker machine as it announced itself, with its last heartbeat (the database's clock, so machines' clocks need not agree).</summary>
public sealed record WorkerInfo(
    string Name, string Device, string RuntimeBuild, string Cpu, int Cores, string? Gpu, IReadOnlyList<string> Datasets,
    double ImagesPerSecond, int Slots, int Busy, bool Draining, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, double SecondsSinceHeartbeat)
{
    /// <summary>A worker that heartbeats every few seconds is live; one silent for longer is gone (killed, cut off).</summary>
    public static readonly TimeSpan Silence = TimeSpan.FromSeconds(15);

    public bool Live => SecondsSinceHeartbeat < Silence.TotalSeconds;

    /// <summary>Slots it offers for new runs: none while it drains.</summary>
    public int FreeForNewRuns => Live && !Draining ? Slots : 0;

    public bool Has(string dataset) => Datasets.Contains(dataset, StringComparer.OrdinalIgnoreCase);
}

/// <summary>Who the workers are: each announces itself at start, heartbeats, and leaves when it drained.</summary>
public sealed class WorkerRegistry(JobsDatabase database)
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(3);

    /// <summary>Registers a worker, or refuses when a live one already has its name (two machines, one name).</summary>
    public async Task AnnounceAsync(WorkerInfo worker, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("""
            INSERT INTO learndl.workers AS w (name, device, runtime_build, cpu, cores, gpu, datasets, images_per_second, slots, busy, draining, started_at, heartbeat_at)
            VALUES (@name, @device, @build, @cpu, @cores, @gpu, @datasets, @ips, @slots, 0, false, now(), now())
            ON CONFLICT (name) DO UPDATE SET device = excluded.device, runtime_build = excluded.runtime_build, cpu = excluded.cpu,
                cores = excluded.cores, gpu = excluded.gpu, datasets = excluded.datasets, images_per_second = excluded.images_per_second,
                slots = excluded.slots, busy = 0, draining = false, started_at = now(), heartbeat_at = now()
            WHERE w.heartbeat_at < now() - make_interval(secs => @silence)
            """);
        command.Parameters.AddWithValue("name", worker.Name);
        command.Parameters.AddWithValue("device", worker.Device);
        command.Parameters.AddWithValue("build", worker.RuntimeBuild);
        command.Parameters.AddWithValue("cpu", worker.Cpu);
        command.Parameters.AddWithValue("cores", worker.Cores);
        command.Parameters.AddWithValue("gpu", (object?)worker.Gpu ?? DBNull.Value);
        command.Parameters.AddWithValue("datasets", worker.Datasets.ToArray());
        command.Parameters.AddWithValue("ips", worker.ImagesPerSecond);
        command.Parameters.AddWithValue("slots", worker.Slots);
        command.Parameters.AddWithValue("silence", WorkerInfo.Silence.TotalSeconds);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            throw new WorkerRefusedException($"A live worker is already called '{worker.Name}'. Give this one another name with --name.");
    }

    /// <summary>Says it is alive and how busy; answers whether the instructor asked it to drain.</summary>
    public async Task<bool> HeartbeatAsync(string name, int busy, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand(
            "UPDATE learndl.workers SET heartbeat_at = now(), busy = @busy WHERE name = @name RETURNING draining");
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("busy", busy);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>Asks a worker to finish its runs and leave; it takes no new ones from now on. False when there is no such worker.</summary>
    public async Task<bool> DrainAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("UPDATE learndl.workers SET draining = true WHERE name = @name");
        command.Parameters.AddWithValue("name", name);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task LeaveAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("DELETE FROM learndl.workers WHERE name = @name");
        command.Parameters.AddWithValue("name", name);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Every worker that announced itself and has not left, live or silent, by name.</summary>
    public async Task<IReadOnlyList<WorkerInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var command = database.Source.CreateCommand("""
            SELECT name, device, runtime_build, cpu, cores, gpu, datasets, images_per_second, slots, busy, draining, started_at, heartbeat_at,
                   extract(epoch FROM now() - heartbeat_at)::double precision
            FROM learndl.workers ORDER BY name
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var workers = new List<WorkerInfo>();
        while (await reader.ReadAsync(cancellationToken))
            workers.Add(new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<string[]>(6), reader.GetDouble(7), reader.GetInt32(8),
                reader.GetInt32(9), reader.GetBoolean(10), reader.GetFieldValue<DateTimeOffset>(11), reader.GetFieldValue<DateTimeOffset>(12),
                reader.GetDouble(13)));
        return workers;
    }
}

/// <summary>A worker cannot join as asked (its name is taken by a live one).</summary>
public sealed class WorkerRefusedException(string message) : Exception(message);
