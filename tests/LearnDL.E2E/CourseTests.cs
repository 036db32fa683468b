using System.Text.RegularExpressions;
using LearnDL.Training.Datasets;
using LearnDL.Testing;
using Microsoft.Playwright;
using SkiaSharp;

namespace LearnDL.E2E;

/// <summary>The course in Chromium: every lesson, a check question by keyboard, lesson 2's measurement, a trained model put to work.</summary>
[Collection(AppCollection.Name)]
public class CourseTests(AppServer app)
{
    private static readonly string[] Lessons =
    [
        "cpu-and-gpu", "sequential-and-parallel", "one-training-step", "transfer-learning",
        "do-you-need-a-gpu", "same-script-cpu-or-gpu-build", "replaying-the-experiment", "where-to-get-a-gpu",
    ];

    [Fact]
    public async Task EveryLesson_IsReachableFromTheNavigation_WithItsPicturesLiveElementsAndQuestions()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/lessons");
        await page.WaitForCircuitAsync();
        for (int i = 0; i < Lessons.Length; i++)
        {
            await page.Locator("#nav-lessons").Locator($"a[href='/lessons/{Lessons[i]}']").ClickAsync();
            await page.WaitForURLAsync($"**/lessons/{Lessons[i]}");
            // The new lesson's own content, not the previous one's still on screen.
            await Assertions.Expect(page.Locator("nav.breadcrumb")).ToContainTextAsync($"Lesson {i + 1} of 8");
            await Assertions.Expect(page.Locator("h1")).ToHaveCountAsync(1);
            Assert.True(await page.Locator("[data-testid=lesson-figure] img").CountAsync() >= 1, $"{Lessons[i]} has no picture");
            // Every picture loaded, with alt text: checked in the page, where re-rendering cannot detach what is checked.
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=lesson-figure] img')].every(i => i.complete && i.naturalWidth > 0 && i.alt.trim().length > 0)");
            Assert.True(await page.Locator("[data-testid=try-it]").CountAsync() >= 1, $"{Lessons[i]} has no live element");
            Assert.InRange(await page.Locator("[data-testid=check-question]").CountAsync(), 2, 4);
            await Assertions.Expect(page.Locator("#nav-lessons")).ToContainTextAsync($"({i + 1}/8 read)");
        }
        await page.GotoAsync(app.BaseUrl + "/lessons");
        await Assertions.Expect(page.Locator("#lesson-progress")).ToContainTextAsync("8 of 8 read");
        await page.ScreenshotAsync("lessons.png");
    }

    [Fact]
    public async Task CheckQuestion_AnsweredWithTheKeyboard_ShowsTheExplanation_AndIsRememberedOnReturn()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/lessons/one-training-step");
        await page.WaitForCircuitAsync();
        var question = page.Locator("[data-question=backward]");
        var wrong = question.Locator("[data-testid=check-answer]").Nth(1);
        await wrong.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var explanation = question.Locator("[data-testid=check-explanation]");
        await Assertions.Expect(explanation).ToHaveAttributeAsync("data-correct", "no");
        await Assertions.Expect(explanation).ToContainTextAsync("twice the forward pass");
        await page.Keyboard.PressAsync("Shift+Tab");
        await page.Keyboard.PressAsync("Enter"); // the answer before it: the right one
        await Assertions.Expect(explanation).ToHaveAttributeAsync("data-correct", "yes");
        await explanation.ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync("lesson.png");
        await page.AssertAccessibleAsync("a lesson with answered questions");

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("[data-question=backward] [data-testid=check-explanation]")).ToHaveAttributeAsync("data-correct", "yes");
        await page.GotoAsync(app.BaseUrl + "/lessons");
        await Assertions.Expect(page.Locator("[data-checks=one-training-step]")).ToContainTextAsync("1/3 right");
    }

    [Fact]
    public async Task ParallelWorkDemonstration_MeasuresEveryWayOnThisServer_AndDrawsTheChart()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/lessons/sequential-and-parallel");
        await page.WaitForCircuitAsync();
        await page.Locator("#measure-parallel").ClickAsync();
        await Assertions.Expect(page.Locator("#parallel-status")).ToHaveTextAsync("Done.", new() { Timeout = 90_000 });
        await Assertions.Expect(page.Locator("#parallel-findings")).ToContainTextAsync("faster");
        var chart = page.Locator("[data-demo=parallel-work] [data-chart=parallel]");
        await Assertions.Expect(chart.Locator("svg.main-svg").First).ToBeVisibleAsync();
        await chart.GetByRole(AriaRole.Button, new() { Name = "Show the numbers" }).ClickAsync();
        await Assertions.Expect(chart.Locator("table tbody tr")).ToHaveCountAsync(6); // 16 ... 512
        await page.AssertAccessibleAsync("lesson 2 after measuring");
        await page.Locator("[data-demo=parallel-work]").ScreenshotAsync(new() { Path = Path.Combine(AppServer.ScreenshotFolder, "parallel-work.png") });
    }

    [Fact]
    public async Task FinishedRun_ClassifiesAnUploadedPicture_AndItsDownloadedModelPredictsWithMLNet()
    {
        var page = await app.NewPageAsync(height: 1200);
        await page.RunToTheEndAsync(app, images: 60, epochs: 3);

        var picture = Path.Combine(app.DataFolder, "my-forest.png");
        using (var tile = AerialTileGenerator.Draw(1, 9_500))
        using (var png = tile.Encode(SKEncodedImageFormat.Png, 100))
            await File.WriteAllBytesAsync(picture, png.ToArray());
        await page.Locator("[data-testid=classify-image] input[type=file]").ChooseFileAsync(picture);
        var result = page.Locator("[data-testid=classify-result]");
        await Assertions.Expect(result).ToContainTextAsync("looks like", new() { Timeout = 30_000 });
        Assert.Equal(5, await result.Locator("table tbody tr").CountAsync());

        var notAPicture = Path.Combine(app.DataFolder, "notes.png");
        await File.WriteAllTextAsync(notAPicture, "shopping list: milk, eggs");
        await page.Locator("[data-testid=classify-image] input[type=file]").ChooseFileAsync(notAPicture);
        await Assertions.Expect(result).ToContainTextAsync("not an image");
        await page.Locator("[data-testid=classify-image] input[type=file]").ChooseFileAsync(picture);
        await Assertions.Expect(result).ToContainTextAsync("looks like");
        await page.ScreenshotAsync("run.png", fullPage: true);
        await page.AssertAccessibleAsync("a run page with a classified upload");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=download-model]").ClickAsync());
        Assert.Matches(new Regex(@"^learndl-model-[0-9a-f]{8}\.zip$"), download.SuggestedFilename);
        var model = Path.Combine(app.DataFolder, download.SuggestedFilename);
        await download.SaveAsAsync(model);
        // The C# the page shows, copied from it, compiled and run on the downloaded file.
        var shown = await page.Locator("pre.code-snippet").TextContentAsync();
        var program = ShownModelProgram.Compile(shown!, download.SuggestedFilename);
        Assert.Contains(program.Classify(picture, model), AerialTileGenerator.ClassNames);
    }
}
