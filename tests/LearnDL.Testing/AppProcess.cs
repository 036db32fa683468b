using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LearnDL.Testing;

/// <summary>
/// The real app as its own process on a free loopback port, with its own data folder: what the
/// end-to-end tests and the load test drive. Reads the process's CPU time and memory from /proc.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringWriter _log = new();

    public string BaseUrl { get; }
    public int Port => new Uri(BaseUrl).Port;
    public string DataFolder { get; }
    public int ProcessId => _process.Id;

    private AppProcess(Process process, string baseUrl, string dataFolder)
    {
        (_process, BaseUrl, DataFolder) = (process, baseUrl, dataFolder);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>What the app printed so far, for a failure message.</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Starts LearnDL.Web.dll from <paramref name="folder"/> (a build output) and waits for /healthz.</summary>
    /// <param name="environment">Other environment variables of the process (HOME, say), as they are named.</param>
    /// <param name="port">The loopback port to listen on (the same again after a restart, so open pages can come back); a free one if null.</param>
    public static async Task<AppProcess> StartAsync(string folder, IReadOnlyDictionary<string, string>? settings = null, string? dataFolder = null,
        IReadOnlyDictionary<string, string>? environment = null, int? port = null)
    {
        port ??= FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        dataFolder ??= Directory.CreateTempSubdirectory("learndl-app-").FullName;
        var start = new ProcessStartInfo("dotnet", [Path.Combine(folder, "LearnDL.Web.dll"), "--urls", baseUrl])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["LearnDL__DataFolder"] = dataFolder;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            start.Environment["LearnDL__" + key.Replace(":", "__")] = value;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        var app = new AppProcess(Process.Start(start)!, baseUrl, dataFolder);
        using var http = new HttpClient();
        for (var deadline = DateTime.UtcNow.AddSeconds(90); ;)
        {
            try { if ((await http.GetAsync(baseUrl + "/healthz")).IsSuccessStatusCode) return app; }
            catch (HttpRequestException) { }
            if (app._process.HasExited) throw new InvalidOperationException($"The app exited with code {app._process.ExitCode}:\n{app.Log}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The app did not answer /healthz within 90 s:\n{app.Log}");
            await Task.Delay(250);
        }
    }

    /// <summary>CPU-seconds the app's process has used so far (user + system), from /proc.</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        // Fields after the command name (which may hold spaces) start after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0; // utime, stime in USER_HZ
    }

    /// <summary>Resident memory of the app's process in bytes, from /proc.</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line[6..].Replace("kB", "").Trim()) * 1024;
    }

    /// <summary>Stops the app the way a crash or a power cut would: no graceful shutdown.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
