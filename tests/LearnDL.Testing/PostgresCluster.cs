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

    public int Port { get; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=learndl;Pooling=true;Maximum Pool Size=30";

    private PostgresCluster(string folder, string bin, bool asPostgres, int port) => (_folder, _bin, _asPostgres, Port) = (folder, bin, asPostgres, port);

    public static async Task<PostgresCluster> StartAsync()
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
        await cluster.RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", cluster.DataFolder, "-l", Path.Combine(folder, "log.txt"), "-w", "-t", "60",
            "-o", $"-p {cluster.Port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start"]);
        await cluster.RunAsync(Path.Combine(bin, "createdb"), ["-h", "127.0.0.1", "-p", cluster.Port.ToString(), "-U", "postgres", "learndl"]);
        return cluster;
    }

    private string DataFolder => Path.Combine(_folder, "data");

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
