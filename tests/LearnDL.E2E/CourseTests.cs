using System.Text.RegularExpressions;
using LearnDL.Training.Datasets;
using LearnDL.Testing;
using Microsoft.Playwright;
using SkiaSharp;

namespace LearnDL.E2E;

/// <summary>
/// The course in Chromium: every lesson, a check question by keyboard, the glossary, lesson 2's measurement
/// with its prediction, lesson 7's prediction, Amdahl explorer and data-loading figures, lesson 9's batch
/// sizes, a trained model put to work.
/// </summary>
[Collection(AppCollection.Name)]
public class CourseTests(AppServer app)
{
    private static readonly string[] Lessons =
    [
        "cpu-and-gpu", "sequential-and-parallel", "one-training-step", "transfer-learning",
        "do-you-need-a-gpu", "same-script-cpu-or-gpu-build", "replaying-the-experiment", "where-to-get-a-gpu",
        "memory-batch-and-precision",
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
            // Commit, not "load": Blazor moves between lessons inside the circuit, and "load" may never come.
            await page.WaitForURLAsync($"**/lessons/{Lessons[i]}", new() { WaitUntil = WaitUntilState.Commit });
            // The new lesson's own content, not the previous one's still on screen.
            await Assertions.Expect(page.Locator("nav.breadcrumb")).ToContainTextAsync($"Lesson {i + 1} of {Lessons.Length}");
            await Assertions.Expect(page.Locator("h1")).ToHaveCountAsync(1);
            Assert.True(await page.Locator("[data-testid=lesson-figure] img").CountAsync() >= 1, $"{Lessons[i]} has no picture");
            // Every picture loaded, with alt text: checked in the page, where re-rendering cannot detach what is checked.
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=lesson-figure] img')].every(i => i.complete && i.naturalWidth > 0 && i.alt.trim().length > 0)");
            Assert.True(await page.Locator("[data-testid=try-it]").CountAsync() >= 1, $"{Lessons[i]} has no live element");
            Assert.InRange(await page.Locator("[data-testid=check-question]").CountAsync(), 2, 4);
            await Assertions.Expect(page.Locator("#nav-lessons")).ToContainTextAsync($"({i + 1}/{Lessons.Length} read)");
            // Figures are filled in: no placeholder is left in the text.
            Assert.DoesNotContain("[[", await page.Locator(".lesson-body").InnerTextAsync());
        }
        await page.GotoAsync(app.BaseUrl + "/lessons");
        await Assertions.Expect(page.Locator("#lesson-progress")).ToContainTextAsync($"{Lessons.Length} of {Lessons.Length} read");
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
        // Predict first, by keyboard: type a guess, then Tab to "Commit my guess" and press it.
        var predict = page.Locator("[data-predict=parallel]");
        await predict.Locator("[data-testid=predict-input]").FillAsync("20");
        await predict.Locator("[data-testid=predict-input]").PressAsync("Tab");
        await Assertions.Expect(predict.Locator("[data-testid=predict-commit]")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(predict.Locator("[data-testid=predict-input]")).ToBeDisabledAsync();
        await Assertions.Expect(predict.Locator("[data-testid=predict-reveal]")).ToHaveCountAsync(0); // nothing to compare yet
        await page.Locator("#measure-parallel").ClickAsync();
        await Assertions.Expect(page.Locator("#parallel-status")).ToHaveTextAsync("Done.", new() { Timeout = 90_000 });
        await Assertions.Expect(predict.Locator("[data-testid=predict-reveal]")).ToContainTextAsync("You predicted 20×; this server measured");
        await Assertions.Expect(page.Locator("#parallel-findings")).ToContainTextAsync("faster");
        var chart = page.Locator("[data-demo=parallel-work] [data-chart=parallel]");
        await Assertions.Expect(chart.Locator("svg.main-svg").First).ToBeVisibleAsync();
        await chart.GetByRole(AriaRole.Button, new() { Name = "Show the numbers" }).ClickAsync();
        await Assertions.Expect(chart.Locator("table tbody tr")).ToHaveCountAsync(6); // 16 ... 512
        await page.AssertAccessibleAsync("lesson 2 after measuring");
        await page.Locator("[data-demo=parallel-work]").ScreenshotAsync(new() { Path = Path.Combine(AppServer.ScreenshotFolder, "parallel-work.png") });
    }

    [Fact]
    public async Task Glossary_IsLinkedFromEveryLesson_AndDefinesTheWordsALessonIntroduces()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/lessons/transfer-learning");
        await page.WaitForCircuitAsync();
        await Assertions.Expect(page.Locator("[data-testid=new-words]")).ToContainTextAsync("head");
        await page.Locator("[data-testid=new-words] a[href='/glossary#head']").ClickAsync();
        await page.WaitForURLAsync("**/glossary#head", new() { WaitUntil = WaitUntilState.Commit });
        var glossary = page.Locator("[data-testid=glossary]");
        await Assertions.Expect(glossary.Locator("#head dd")).ToContainTextAsync("small classifier");
        await Assertions.Expect(glossary.Locator("#epoch dd")).ToContainTextAsync("L-BFGS");
        await Assertions.Expect(page.Locator("main h1")).ToHaveCountAsync(1);
        await page.AssertAccessibleAsync("the glossary");
    }

    /// <summary>
    /// Lesson 7: a prediction committed, then the Try-it's run answers it; the run is then "this server's
    /// last run" that the Amdahl explorer starts from and the data-loading figures come from. The
    /// explorer's sliders work by keyboard, and the time and the chart follow them.
    /// </summary>
    [Fact]
    public async Task Lesson7_PredictThenMeasure_ThenTheAmdahlExplorerAndDataLoadingUseThisServersRun()
    {
        var page = await app.NewPageAsync(height: 1200);
        await page.GotoAsync(app.BaseUrl + "/lessons/replaying-the-experiment");
        await page.WaitForCircuitAsync();
        var tryIt = page.Locator("[data-tryit=replay-small]");
        await tryIt.Locator("[data-testid=predict-input]").FillAsync("30");
        await tryIt.Locator("[data-testid=predict-commit]").ClickAsync();
        await tryIt.GetByRole(AriaRole.Button, new() { Name = "Run it" }).ClickAsync();
        await Assertions.Expect(tryIt.Locator("[data-testid=predict-input]")).ToBeDisabledAsync();
        var reveal = tryIt.Locator("[data-testid=predict-reveal]");
        await Assertions.Expect(reveal).ToContainTextAsync("You predicted 30%; this server measured", new() { Timeout = 180_000 });

        // Reloaded, the page reads the run that just finished.
        await page.ReloadAsync();
        await page.WaitForCircuitAsync();
        var explorer = page.Locator("[data-testid=amdahl-explorer]");
        await Assertions.Expect(explorer.Locator("#amdahl-source")).ToContainTextAsync("Preset with this server's last CPU run: 400 images");
        await Assertions.Expect(page.Locator("#data-loading-table tbody tr")).ToHaveCountAsync(4); // decoding on a CPU run and beside a GPU, the network on each
        await Assertions.Expect(page.Locator("#data-loading-summary")).ToContainTextAsync("images/s");

        var part = explorer.Locator("input[type=range]#amdahl-part");
        await part.FocusAsync();
        await page.Keyboard.PressAsync("Home"); // 0%: nothing sped up
        await Assertions.Expect(explorer.Locator("#amdahl-part-value")).ToHaveTextAsync("0%");
        await Assertions.Expect(explorer.Locator("#amdahl-result")).ToContainTextAsync("1× faster");
        for (int i = 0; i < 90; i++) await page.Keyboard.PressAsync("ArrowRight");
        await Assertions.Expect(explorer.Locator("#amdahl-part-value")).ToHaveTextAsync("90%");
        await Assertions.Expect(explorer.Locator("#amdahl-result")).ToContainTextAsync("caps the run at 10×");
        var speedup = explorer.Locator("input[type=range]#amdahl-speedup");
        await speedup.FocusAsync();
        await page.Keyboard.PressAsync("End"); // 1000×
        await Assertions.Expect(explorer.Locator("#amdahl-speedup-value")).ToHaveTextAsync("1000×");
        await Assertions.Expect(explorer.Locator("#amdahl-result")).ToContainTextAsync("9.9× faster");
        var chart = explorer.Locator("[data-chart=amdahl]");
        await Assertions.Expect(chart.Locator("svg.main-svg").First).ToBeVisibleAsync();
        await Assertions.Expect(chart.Locator(".chart-summary")).ToContainTextAsync("9.9× faster with 90% of the time sped up 1000×");
        await page.AssertAccessibleAsync("lesson 7 with its explorer preset");
    }

    /// <summary>
    /// Lesson 8's notebook round trip in the browser: the notebook downloads, a pasted result that is not one is
    /// refused with what to do, a T4's result shows the learner's card (my-gpu) beside the reference and in the
    /// calculator, and personal mode keeps it in the browser: a reload and lesson 5 still show it.
    /// </summary>
    [Fact]
    public async Task Lesson8_APastedNotebookResult_ShowsTheLearnersOwnCard_AndTheBrowserKeepsIt()
    {
        const string t4 = """{"learndl": "learndl-gpu-result", "version": 1, "measured": "2026-12-06", "torch": "2.5.1+cu121", "device": "cuda", "gpu": "Tesla T4", "cpu": "Intel(R) Xeon(R) CPU @ 2.20GHz", "cpu_threads": 2, "image_size": 224, "resnet18": [{"precision": "fp32", "batch": 32, "train": false, "seconds_per_batch": 0.0291, "images_per_second": 1100.0}, {"precision": "fp32", "batch": 32, "train": true, "seconds_per_batch": 0.097, "images_per_second": 330.0}, {"precision": "amp", "batch": 32, "train": true, "seconds_per_batch": 0.0356, "images_per_second": 900.0}], "matmul": [{"precision": "fp32", "n": 4096, "seconds": 0.032, "gflops": 4295.0}]}""";
        var page = await app.NewPageAsync(height: 1200);
        await page.GotoAsync(app.BaseUrl + "/lessons/where-to-get-a-gpu");
        await page.WaitForCircuitAsync();

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=gpu-notebook]").ClickAsync());
        Assert.Equal("learndl-measure-my-gpu.ipynb", download.SuggestedFilename);
        var notebook = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains("\"nbformat\": 4", notebook);
        Assert.Contains("Change runtime type", notebook);

        var input = page.Locator("[data-testid=gpu-result-input]");
        await input.FillAsync("the notebook said it worked");
        await page.Locator("#gpu-result-keep").ClickAsync();
        await Assertions.Expect(page.Locator("#gpu-result-problems")).ToContainTextAsync("paste the one line of JSON its last cell printed");
        await Assertions.Expect(page.Locator("[data-testid=my-gpu]")).ToHaveCountAsync(0);

        await input.FillAsync(t4);
        await page.Locator("#gpu-result-keep").ClickAsync();
        var mine = page.Locator("[data-testid=my-gpu]");
        await Assertions.Expect(mine).ToContainTextAsync("Tesla T4");
        await Assertions.Expect(mine).ToContainTextAsync("measured by you");
        await Assertions.Expect(mine).ToContainTextAsync("1,100 images a second");
        await Assertions.Expect(mine).ToContainTextAsync("NVIDIA H200");
        await Assertions.Expect(page.Locator("#calc-gpu")).ToHaveValueAsync(new Regex("^1,?100"));
        // The lesson's sentences follow the card: its figure, labelled as the learner's, beside the reference's.
        var sentence = page.Locator(".course-number[data-number='mine.fwd']");
        await Assertions.Expect(sentence).ToContainTextAsync("Your Tesla T4, measured by you, runs ResNet18 forward at 1,100 images a second");
        await Assertions.Expect(sentence).ToContainTextAsync("the reference NVIDIA H200");
        await Assertions.Expect(page.Locator(".course-number[data-number='mine.60k20']")).ToContainTextAsync("on your Tesla T4, measured by you");
        await page.AssertAccessibleAsync("lesson 8 with the learner's card");

        await page.ReloadAsync();
        await page.WaitForCircuitAsync();
        await Assertions.Expect(page.Locator("[data-testid=my-gpu]")).ToContainTextAsync("Tesla T4");
        await page.GotoAsync(app.BaseUrl + "/lessons/do-you-need-a-gpu");
        await page.WaitForCircuitAsync();
        await Assertions.Expect(page.Locator("[data-testid=my-gpu]")).ToContainTextAsync("Tesla T4");
        await Assertions.Expect(page.Locator(".course-number[data-number='mine.fwd']")).ToContainTextAsync("Your Tesla T4, measured by you");
        await page.GotoAsync(app.BaseUrl + "/compare");
        await page.WaitForCircuitAsync();
        await Assertions.Expect(page.Locator("[data-testid=my-gpu]")).ToContainTextAsync("yours, measured by you");
    }

    /// <summary>Lesson 5 by keyboard: a guess at the exercise's time, the run that answers it, and the accuracy interval recomputed as numbers are typed.</summary>
    [Fact]
    public async Task Lesson5_PredictTheExercisesTime_ThenSeeHowSureItsAccuracyIs()
    {
        var page = await app.NewPageAsync(height: 1200);
        await page.GotoAsync(app.BaseUrl + "/lessons/do-you-need-a-gpu");
        await page.WaitForCircuitAsync();
        var tryIt = page.Locator("[data-tryit=exercise]");
        await tryIt.Locator("[data-testid=predict-input]").FocusAsync();
        await page.Keyboard.TypeAsync("15");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter"); // Commit my guess
        await Assertions.Expect(tryIt.Locator(".predict-state")).ToContainTextAsync("Your guess, 15 seconds, is committed.");
        await tryIt.GetByRole(AriaRole.Button, new() { Name = "Run it" }).ClickAsync();
        await Assertions.Expect(tryIt.Locator("[data-testid=predict-reveal]")).ToContainTextAsync("You predicted 15 seconds; this server measured", new() { Timeout = 180_000 });

        // The accuracy starts at this server's last run (it varies): set one whose interval the text can be checked against.
        await page.Locator("#noise-accuracy").FocusAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("80");
        var images = page.Locator("#noise-images");
        await images.FocusAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("6000");
        await Assertions.Expect(page.Locator("#noise-result")).ToContainTextAsync("On 6,000 held-out images");
        await Assertions.Expect(page.Locator("#noise-result")).ToContainTextAsync("narrow enough");
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("60");
        await Assertions.Expect(page.Locator("#noise-result")).ToContainTextAsync("too wide to tell two similar models apart");
    }

    [Fact]
    public async Task BatchDemonstration_MeasuresSpeedAndMemoryAtFiveBatchSizes_ThroughTheQueue()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/lessons/memory-batch-and-precision");
        await page.WaitForCircuitAsync();
        var demo = page.Locator("[data-testid=batch-demo]");
        await demo.Locator("#measure-batch").ClickAsync();
        await Assertions.Expect(demo.Locator("#batch-status")).ToHaveTextAsync("Done.", new() { Timeout = 120_000 });
        await Assertions.Expect(demo.Locator("#batch-findings")).ToContainTextAsync("batch 16");
        await Assertions.Expect(demo.Locator("#batch-findings")).ToContainTextAsync("MB at batch 16");
        var chart = demo.Locator("[data-chart=batch]");
        await Assertions.Expect(chart.Locator("svg.main-svg").First).ToBeVisibleAsync();
        await chart.GetByRole(AriaRole.Button, new() { Name = "Show the numbers" }).ClickAsync();
        await Assertions.Expect(chart.Locator("table tbody tr")).ToHaveCountAsync(5); // 1, 2, 4, 8, 16
        await page.AssertAccessibleAsync("lesson 9 after measuring");
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
        // A picture of a web page gets a class too, and a word that it is unlike anything the model saw (issue 26).
        var screenshot = Path.Combine(app.DataFolder, "web-page.png");
        await File.WriteAllBytesAsync(screenshot, LearnDL.Testing.HostilePictures.WebPageScreenshot());
        await page.Locator("[data-testid=classify-image] input[type=file]").ChooseFileAsync(screenshot);
        await Assertions.Expect(result.GetByTestId("classify-unlike")).ToContainTextAsync("unlike anything the model was trained on");
        await Assertions.Expect(result).ToContainTextAsync("web-page.png looks like");
        await page.Locator("[data-testid=classify-image] input[type=file]").ChooseFileAsync(picture);
        await Assertions.Expect(result).ToContainTextAsync("my-forest.png looks like");
        await Assertions.Expect(result.GetByTestId("classify-unlike")).ToHaveCountAsync(0);
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
