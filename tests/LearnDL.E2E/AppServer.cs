using LearnDL.Testing;
using Microsoft.Playwright;

namespace LearnDL.E2E;

/// <summary>The real app as its own process, and Debian's Chromium driving it.</summary>
public class AppServer : IAsyncLifetime
{
    /// <summary>Settings the app starts with (LearnDL section), beyond its data folder.</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    /// <summary>Environment variables the app starts with (ConnectionStrings__Jobs, say).</summary>
    protected virtual IReadOnlyDictionary<string, string>? Environment => null;

    /// <summary>What must run before the app starts (a database it needs).</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>What goes after the app stopped.</summary>
    protected virtual Task AfterStopAsync() => Task.CompletedTask;

    private AppProcess? _app;
    private IPlaywright? _playwright;
    public string DataFolder { get; } = Directory.CreateTempSubdirectory("learndl-e2e-").FullName;
    public string BaseUrl => _app!.BaseUrl;

    /// <summary>The last lines the app printed, for a failure message.</summary>
    public string LogTail(int lines) => string.Join('\n', (_app?.Log ?? "").Split('\n').TakeLast(lines));
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: docs/screenshots in the repository, for the README.</summary>
    public static string ScreenshotFolder => Path.Combine(Repository.Find() ?? AppContext.BaseDirectory, "docs", "screenshots");

    public async Task InitializeAsync()
    {
        await BeforeStartAsync();
        _app = await AppProcess.StartAsync(AppContext.BaseDirectory, Settings, DataFolder, Environment);
        _playwright = await Playwright.CreateAsync();
        // Playwright's 5 s for an expectation is tight on a shared CI machine's two cores; what takes
        // longer than 15 s to show is a fault worth failing on.
        Assertions.SetDefaultExpectTimeout(15_000);
        Browser = await Chromium.LaunchAsync(_playwright);
    }

    /// <summary>Kills the app (no graceful stop, like a power cut) and starts it again on the same data folder; its address changes.</summary>
    public async Task KillAndRestartAsync()
    {
        await _app!.KillAsync();
        await _app.DisposeAsync();
        _app = await AppProcess.StartAsync(AppContext.BaseDirectory, Settings, DataFolder, Environment);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
            // What the app printed, beside the test build, for reading after a failure.
            await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, $"app-{GetType().Name}.log"), _app.Log);
        }
        await AfterStopAsync();
        try { Directory.Delete(DataFolder, true); } catch (IOException) { }
    }
}

/// <summary>The app hosting a class: an instructor passphrase is set.</summary>
public sealed class ClassAppServer : AppServer
{
    public const string Passphrase = "teach-the-class-2026";
    /// <summary>The class pulse flags a student after this long without progress: seconds, so a test can see it.</summary>
    public const double StuckAfterMinutes = 0.35;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Class:InstructorPassphrase"] = Passphrase,
        ["Class:StuckAfterMinutes"] = StuckAfterMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // A browser driven by Playwright answers at a script's pace, which the pulse would flag; the rule has its own tests.
        ["Class:MinSecondsBetweenAnswers"] = "0",
        ["Class:MinSecondsAfterOpening"] = "0",
    };

    private readonly SemaphoreSlim _signingIn = new(1, 1);
    private (string BaseUrl, string State)? _instructor;

    /// <summary>
    /// A page of the instructor's on their dashboard. The instructor signs in once, sent to the sign-in form by the
    /// dashboard itself; later pages open with that browser's cookies, as further tabs of theirs would. The server
    /// allows 5 passphrase attempts a minute from one address, and the class's tests, each signing in anew from
    /// 127.0.0.1, went over it once they ran faster.
    /// </summary>
    public async Task<IPage> NewInstructorPageAsync(int height = 1400)
    {
        await _signingIn.WaitAsync();
        try
        {
            if (_instructor is { } signedIn && signedIn.BaseUrl == BaseUrl)
            {
                var context = await Browser.NewContextAsync(new()
                {
                    ViewportSize = new() { Width = 1400, Height = height }, AcceptDownloads = true, StorageState = signedIn.State,
                });
                var page = await context.NewPageAsync();
                page.SetDefaultTimeout(30_000);
                await page.GotoAsync(BaseUrl + "/instructor");
                await page.WaitForCircuitAsync();
                return page;
            }
            var first = await this.NewPageAsync(height);
            await first.GotoAsync(BaseUrl + "/instructor");
            Xunit.Assert.Contains("/instructor/sign-in", first.Url);
            await first.Locator("#passphrase").FillAsync(Passphrase);
            await first.Locator("#sign-in").ClickAsync();
            // A form post, then a full page load: waited for at commit, then polled through the circuit.
            await first.WaitForURLAsync("**/instructor", new() { WaitUntil = WaitUntilState.Commit });
            await first.WaitForCircuitAsync();
            _instructor = (BaseUrl, await first.Context.StorageStateAsync());
            return first;
        }
        finally { _signingIn.Release(); }
    }
}
