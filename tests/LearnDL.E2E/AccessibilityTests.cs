using Microsoft.Playwright;

namespace LearnDL.E2E;

/// <summary>Every page, each kind of lesson and a finished run, scanned with axe-core: no serious or critical findings.</summary>
[Collection(AppCollection.Name)]
public class AccessibilityTests(AppServer app)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/lessons")]
    [InlineData("/lessons/cpu-and-gpu")]                     // prose, pictures, a Try-it
    [InlineData("/lessons/sequential-and-parallel")]         // a measuring demonstration
    [InlineData("/lessons/one-training-step")]               // an explorer with a chart
    [InlineData("/lessons/replaying-the-experiment")]        // a table of live arithmetic
    [InlineData("/lessons/where-to-get-a-gpu")]              // a calculator form
    [InlineData("/lessons/do-you-need-a-gpu")]               // a prediction, live tables, number inputs
    [InlineData("/lessons/memory-batch-and-precision")]      // the ninth lesson: a measurement to start
    [InlineData("/glossary")]
    [InlineData("/runs/new")]
    [InlineData("/runs")]
    [InlineData("/compare")]
    [InlineData("/replay")]
    [InlineData("/doctor")]
    [InlineData("/nowhere")]
    public async Task Page_HasNoSeriousAccessibilityFindings(string path)
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + path);
        await page.WaitForCircuitAsync();
        await Assertions.Expect(page.Locator("main h1")).ToHaveCountAsync(1);
        await page.AssertAccessibleAsync(path);
    }

    [Fact]
    public async Task FinishedRunPage_WithItsChartsAndResults_HasNoSeriousAccessibilityFindings()
    {
        var page = await app.NewPageAsync();
        var run = await page.RunToTheEndAsync(app);
        await Assertions.Expect(page.Locator("[data-chart=confusion] svg.main-svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("main h1")).ToHaveCountAsync(1);
        await page.AssertAccessibleAsync(run);
    }
}
