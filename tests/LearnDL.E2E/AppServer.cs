using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;

namespace LearnDL.E2E;

/// <summary>The real app as its own process on a free loopback port, and Debian's Chromium driving it.</summary>
public sealed class AppServer : IAsyncLifetime
{
    private Process? _process;
    private IPlaywright? _playwright;
    public string DataFolder { get; } = Directory.CreateTempSubdirectory("learndl-e2e-").FullName;
    public string BaseUrl { get; private set; } = "";
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: docs/screenshots in the repository, for the README.</summary>
    public static string ScreenshotFolder
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LearnDL.sln"))) dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "docs", "screenshots");
        }
    }

    public async Task InitializeAsync()
    {
        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var webDll = Path.Combine(AppContext.BaseDirectory, "LearnDL.Web.dll");
        var start = new ProcessStartInfo("dotnet", [webDll, "--urls", BaseUrl])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["LearnDL__DataFolder"] = DataFolder;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient();
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ;)
        {
            try { if ((await http.GetAsync(BaseUrl + "/healthz")).IsSuccessStatusCode) break; }
            catch (HttpRequestException) { }
            if (_process.HasExited) throw new InvalidOperationException($"The app exited with code {_process.ExitCode}.");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The app did not answer /healthz within 60 s.");
            await Task.Delay(250);
        }

        const string chromium = "/usr/bin/chromium";
        if (!File.Exists(chromium))
            throw new InvalidOperationException("End-to-end tests need Debian's Chromium: sudo apt-get install chromium");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_process is { HasExited: false }) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        try { Directory.Delete(DataFolder, true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
