using Microsoft.Playwright;

namespace LearnDL.Testing;

/// <summary>Debian's Chromium under Playwright (Playwright cannot download its own browser here).</summary>
public static class Chromium
{
    public const string Path = "/usr/bin/chromium";

    /// <param name="extraArgs">More switches (the LTI test's <c>--test-third-party-cookie-phaseout</c>, which blocks third-party cookies).</param>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright, params string[] extraArgs)
    {
        if (!File.Exists(Path))
            throw new InvalidOperationException("Browser tests need Debian's Chromium: sudo apt-get install chromium");
        return playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Path,
            Headless = true,
            // Without these, Chromium's calls home are refused by the closed network, many at a time.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", .. extraArgs],
        });
    }
}
