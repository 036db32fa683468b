using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LearnDL.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for a test class: initdb into a temporary folder, pg_ctl on a free
/// loopback port, stopped and deleted afterwards. PostgreSQL refuses to run as root, so as root it runs
/// as the `postgres` user (Debian's package creates it). Needs Debian's postgresql package (.ci/run installs it).
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _folder;
    private readonly string _bin;
    private readonly bool _asPostgres;
    private string _options = "";

    public int Port { get; }
    public string ConnectionString => ConnectionStringVia("127.0.0.1");

    /// <summary>The same database reached at another of this host's addresses (the host's end of a test's network link).</summary>
    public string ConnectionStringVia(string address) => $"Host={address};Port={Port};Username=postgres;Database=learndl;Pooling=true;Maximum Pool Size=30";

    private PostgresCluster(string folder, string bin, bool asPostgres, int port) => (_folder, _bin, _asPostgres, Port) = (folder, bin, asPostgres, port);

    /// <summary>Starts a cluster on loopback, and on <paramref name="alsoListenOn"/> (addresses of this host) for clients of 10.251.0.0/16.</summary>
    public static async Task<PostgresCluster> StartAsync(params string[] alsoListenOn)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (bin is null) throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql): the worker tests need its initdb and pg_ctl.");
        var asPostgres = Environment.UserName == "root";
        var folder = Directory.CreateTempSubdirectory("learndl-pg-").FullName;
        var cluster = new PostgresCluster(folder, bin, asPostgres, FreePort());
        if (asPostgres) await cluster.RunAsync("chown", ["-R", "postgres:postgres", folder], asPostgresUser: false);
        await cluster.RunAsync(Path.Combine(bin, "initdb"), ["-D", cluster.DataFolder, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
        if (alsoListenOn.Length > 0)
            await cluster.RunAsync("sh", ["-c", $"echo 'host all all 10.251.0.0/16 trust' >> {Path.Combine(cluster.DataFolder, "pg_hba.conf")}"]);
        cluster._options = $"-p {cluster.Port} -k {folder} -c listen_addresses={string.Join(',', ["127.0.0.1", .. alsoListenOn])} " +
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        await cluster.StartServerAsync();
        await cluster.RunAsync(Path.Combine(bin, "createdb"), ["-h", "127.0.0.1", "-p", cluster.Port.ToString(), "-U", "postgres", "learndl"]);
        return cluster;
    }

    private string DataFolder => Path.Combine(_folder, "data");

    private Task StartServerAsync() => RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataFolder, "-l", Path.Combine(_folder, "log.txt"), "-w", "-t", "60", "-o", _options, "start"]);

    /// <summary>Restarts the server as an operator would (a fast shutdown: every client is disconnected), on the same port.</summary>
    public async Task RestartAsync()
    {
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataFolder, "-m", "fast", "-w", "-t", "60", "stop"]);
        await StartServerAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try { await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataFolder, "-m", "immediate", "-w", "stop"]); }
        catch (InvalidOperationException) { } // already stopped
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private async Task RunAsync(string program, IReadOnlyList<string> args, bool asPostgresUser = true)
    {
        var start = asPostgresUser && _asPostgres
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", program, .. args])
            : new ProcessStartInfo(program, args);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {await output}{await errors}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
