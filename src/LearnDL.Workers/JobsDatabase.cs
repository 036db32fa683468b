using Hangfire.PostgreSql;
using Npgsql;

namespace LearnDL.Workers;

/// <summary>
/// The PostgreSQL database the web app and the workers share: Hangfire's tables (schema "hangfire") for
/// the hand-off, and LearnDL's own (schema "learndl") for what Hangfire does not carry: who the workers
/// are, each run's specification, its one attempt, its result and model, cancel requests and uploaded
/// datasets. Both sides create what is missing at start, under one advisory lock.
/// </summary>
public sealed class JobsDatabase : IAsyncDisposable
{
    /// <summary>Run events, as JSON (<see cref="RunNote"/>).</summary>
    public const string EventsChannel = "learndl_run";
    /// <summary>A run's attempt has ended; the payload is its id.</summary>
    public const string DoneChannel = "learndl_done";
    /// <summary>Someone stopped a run; the payload is its id.</summary>
    public const string CancelChannel = "learndl_cancel";
    /// <summary>A worker ended a run the web app had given up on (it was cut off, then came back); the payload is a <see cref="LateEnd"/>.</summary>
    public const string LateChannel = "learndl_late";

    private const long SchemaLock = 0x4C6561726E444C; // "LearnDL"

    private const string Schema = """
        CREATE SCHEMA IF NOT EXISTS learndl;
        CREATE TABLE IF NOT EXISTS learndl.workers (
            name text PRIMARY KEY, device text NOT NULL, runtime_build text NOT NULL, cpu text NOT NULL, cores int NOT NULL,
            gpu text, datasets text[] NOT NULL, images_per_second double precision NOT NULL, slots int NOT NULL,
            busy int NOT NULL DEFAULT 0, draining boolean NOT NULL DEFAULT false,
            started_at timestamptz NOT NULL, heartbeat_at timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS learndl.dispatches (
            run_id uuid PRIMARY KEY, queue text NOT NULL, spec text NOT NULL, job_id text, dispatched_at timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS learndl.attempts (
            run_id uuid PRIMARY KEY, worker text, started_at timestamptz NOT NULL, finished_at timestamptz,
            outcome text, message text, result text, thumbnails text, model bytea, last_event text);
        CREATE TABLE IF NOT EXISTS learndl.cancels (run_id uuid PRIMARY KEY, at timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS learndl.datasets (
            hash text PRIMARY KEY, title text NOT NULL, content bytea NOT NULL, bytes bigint NOT NULL, stored_at timestamptz NOT NULL);
        """;

    public JobsDatabase(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException("Worker machines need a PostgreSQL connection string (ConnectionStrings:Jobs, or learndl worker --jobs).");
        ConnectionString = connectionString;
        Source = NpgsqlDataSource.Create(connectionString);
    }

    public string ConnectionString { get; }
    public NpgsqlDataSource Source { get; }

    /// <summary>Hangfire's storage on the same database: long polling (LISTEN/NOTIFY, not a 15 s poll) and a sliding invisibility timeout.</summary>
    public PostgreSqlStorage CreateHangfireStorage()
    {
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            PrepareSchemaIfNecessary = true,
            EnableLongPolling = true,
            // A run may take an hour: the job stays invisible to other servers while this one is alive,
            // and is fetched again only after it stopped heartbeating (then the job refuses a second attempt).
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = TimeSpan.FromMinutes(5),
            QueuePollInterval = TimeSpan.FromSeconds(15),
        };
        return new PostgreSqlStorage(new SharedConnections(Source), options);
    }

    /// <summary>Creates LearnDL's tables where they are missing; safe when several machines start at once.</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await Source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLock})", connection, transaction))
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(Schema, connection, transaction))
            await create.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Tells every listener on <paramref name="channel"/>; PostgreSQL keeps payloads under 8,000 bytes.</summary>
    public async Task NotifyAsync(string channel, string payload, CancellationToken cancellationToken = default)
    {
        await using var command = Source.CreateCommand("SELECT pg_notify(@channel, @payload)");
        command.Parameters.AddWithValue("channel", channel);
        command.Parameters.AddWithValue("payload", payload);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => Source.DisposeAsync();

    /// <summary>Hangfire takes its connections from the same pool as LearnDL's own queries.</summary>
    private sealed class SharedConnections(NpgsqlDataSource source) : IConnectionFactory
    {
        public NpgsqlConnection GetOrCreateConnection() => source.CreateConnection();
    }

    /// <summary>The Hangfire queue a run goes to: its device, and a dataset only some workers have.</summary>
    public static string QueueFor(string device, string dataset) =>
        dataset.Equals(FashionMnistQueueDataset, StringComparison.OrdinalIgnoreCase) ? $"{device}_fashion_mnist" : device;

    /// <summary>The queues a worker serves: its device's, and the one for Fashion-MNIST when it has a copy.</summary>
    public static string[] QueuesOf(string device, IEnumerable<string> datasets) =>
        datasets.Contains(FashionMnistQueueDataset, StringComparer.OrdinalIgnoreCase) ? [$"{device}_fashion_mnist", device] : [device];

    /// <summary>What a worker's queues mean, in words for its log: "CPU runs, Fashion-MNIST ones too".</summary>
    public static string ServesInWords(string device, IEnumerable<string> datasets) =>
        $"{device.ToUpperInvariant()} runs" +
        (datasets.Contains(FashionMnistQueueDataset, StringComparer.OrdinalIgnoreCase) ? ", Fashion-MNIST ones too" : " (not Fashion-MNIST: no copy here)");

    private const string FashionMnistQueueDataset = "fashion-mnist";
}
