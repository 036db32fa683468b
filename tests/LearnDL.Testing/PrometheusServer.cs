using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace LearnDL.Testing;

/// <summary>
/// Debian's Prometheus (`apt-get install prometheus`) on a free loopback port, with a generated configuration that
/// scrapes one target every second, its data in a temporary folder: what a host points at /metrics, for a test.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/prometheus";
    private readonly Process _process;
    private readonly string _folder;
    private readonly StringWriter _log = new();
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string folder, string baseUrl)
    {
        (_process, _folder, _http) = (process, folder, new HttpClient { BaseAddress = new Uri(baseUrl) });
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Starts Prometheus scraping <paramref name="target"/> (host:port) at /metrics every second; waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(string target)
    {
        if (!File.Exists(Executable)) throw new InvalidOperationException("Prometheus is not installed: apt-get install prometheus (see .ci/run).");
        var folder = Directory.CreateTempSubdirectory("learndl-prometheus-").FullName;
        var config = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: learndl
                metrics_path: /metrics
                static_configs:
                  - targets: ['{target}']
            """);
        var listen = $"127.0.0.1:{FreePort()}";
        var start = new ProcessStartInfo(Executable, [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
            $"--web.listen-address={listen}", "--log.level=warn"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var server = new PrometheusServer(Process.Start(start)!, folder, $"http://{listen}");
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(200))
        {
            try { if ((await server._http.GetAsync("/-/ready")).IsSuccessStatusCode) return server; }
            catch (HttpRequestException) { }
            if (server._process.HasExited) throw new InvalidOperationException($"Prometheus exited with code {server._process.ExitCode}:\n{server.Log}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Prometheus was not ready within 60 s:\n{server.Log}");
        }
    }

    /// <summary>An instant query through Prometheus's HTTP API: each series's labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        var answer = JsonNode.Parse(await _http.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}"))!;
        if (answer["status"]!.GetValue<string>() != "success") throw new InvalidOperationException($"Prometheus refused '{promql}': {answer}");
        return answer["data"]!["result"]!.AsArray().Select(series => (
            (IReadOnlyDictionary<string, string>)series!["metric"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()),
            double.Parse(series["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture))).ToList();
    }

    /// <summary>
    /// Waits, a bounded while, until <paramref name="promql"/> gives exactly one series worth <paramref name="expected"/>
    /// (Prometheus sees a change at its next scrape); the values seen last are in the failure's message.
    /// </summary>
    public async Task WaitForAsync(string promql, double expected, TimeSpan? timeout = null)
    {
        var seen = "nothing";
        for (var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30)); ; await Task.Delay(250))
        {
            var result = await QueryAsync(promql);
            if (result.Count == 1 && result[0].Value == expected) return;
            seen = result.Count == 0 ? "no series" : string.Join(", ", result.Select(r => r.Value.ToString(CultureInfo.InvariantCulture)));
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Prometheus's '{promql}' is {seen}, not {expected}, after {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s.\n{Log}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _http.Dispose();
        try { Directory.Delete(_folder, true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
