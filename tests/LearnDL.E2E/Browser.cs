using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

// One app, one browser, one test at a time: timings and the two cores stay predictable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace LearnDL.E2E;

/// <summary>One app and one browser for all the end-to-end tests: they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppServer>
{
    public const string Name = "the app";
}

[CollectionDefinition(Name)]
public sealed class ClassAppCollection : ICollectionFixture<ClassAppServer>
{
    public const string Name = "the app hosting a class";
}

/// <summary>What the end-to-end tests do with a page, said once.</summary>
public static class Browser
{
    public static async Task<IPage> NewPageAsync(this AppServer app, int height = 1000)
    {
        // A context of its own: its own cookie, so the app sees a separate person.
        var context = await app.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = height }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        return page;
    }

    /// <summary>Interactive Server: the prerendered page is inert until the circuit connects.</summary>
    public static Task WaitForCircuitAsync(this IPage page) => page.Locator("[data-interactive=yes]").WaitForAsync();

    /// <summary>
    /// Picks a file in a Blazor InputFile the way a person can: once it is enabled. The app enables its file
    /// inputs only when Blazor's change listener is attached (Features/Shared/InputFiles.cs), so a file chosen
    /// then is never lost.
    /// </summary>
    public static async Task ChooseFileAsync(this ILocator input, string path)
    {
        await Assertions.Expect(input).ToBeEnabledAsync(new() { Timeout = 30_000 });
        await input.SetInputFilesAsync(path);
    }

    public static Task ScreenshotAsync(this IPage page, string name, bool fullPage = false)
    {
        Directory.CreateDirectory(AppServer.ScreenshotFolder);
        return page.ScreenshotAsync(new() { Path = Path.Combine(AppServer.ScreenshotFolder, name), FullPage = fullPage });
    }

    /// <summary>Scans the page with axe-core and fails on any serious or critical finding, naming each.</summary>
    public static async Task AssertAccessibleAsync(this IPage page, string what)
    {
        var results = await page.RunAxe();
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"{what}: {serious.Count} serious or critical accessibility findings:\n" + string.Join("\n", serious.Select(v =>
            $"- {v.Impact} {v.Id}: {v.Help}\n    " + string.Join("\n    ", v.Nodes.Take(4).Select(n => n.Html)))));
    }

    /// <summary>Starts a run from the launcher and waits for it to complete; returns its page's path.</summary>
    public static async Task<string> RunToTheEndAsync(this IPage page, AppServer app, int images = 40, int epochs = 2)
    {
        await page.GotoAsync($"{app.BaseUrl}/runs/new?dataset=builtin&images={images}&epochs={epochs}&device=cpu");
        await page.WaitForCircuitAsync();
        await page.LaunchAsync(app);
        await Assertions.Expect(page.Locator("[data-status=Completed]")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        return new Uri(page.Url).AbsolutePath;
    }

    /// <summary>
    /// Presses the launcher's Start run and waits for the run's page. When it does not open, the failure
    /// says why: the launcher's refusal, a failed circuit, and what the server printed.
    /// </summary>
    public static async Task LaunchAsync(this IPage page, AppServer app)
    {
        await page.Locator("#launch").ClickAsync();
        try
        {
            // Commit, not the default "load": Blazor moves to the run's page inside the circuit, and "load" may never come.
            await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/runs/[0-9a-f-]{36}$"), new() { Timeout = 60_000, WaitUntil = WaitUntilState.Commit });
        }
        catch (TimeoutException)
        {
            var refusal = string.Join(" ", await page.Locator("#launch-errors").AllInnerTextsAsync()).Trim();
            var circuit = await page.Locator("#blazor-error-ui").IsVisibleAsync() ? "failed" : "alive";
            Assert.Fail($"The run's page did not open within 60 s. Launcher says: {(refusal.Length > 0 ? refusal : "nothing")}; " +
                $"circuit {circuit}. The server's last lines:\n{app.LogTail(40)}");
        }
    }
}
