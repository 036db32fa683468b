using Microsoft.Playwright;

namespace LearnDL.E2E;

/// <summary>A learner's path through the real app in a real browser; the README's screenshots come from here.</summary>
[Collection(AppCollection.Name)]
public class LearnerJourneyTests(AppServer app)
{
    [Fact]
    public async Task Learner_OpensHomeAndALesson_ThenRunsOnTheCpuAndFindsItInHistory()
    {
        var page = await app.NewPageAsync();

        await page.GotoAsync(app.BaseUrl + "/");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Do you need a GPU to learn deep learning?" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#device-summary")).ToContainTextAsync("CPU:");
        await page.ScreenshotAsync("home.png");

        await page.Locator("main a[href='/lessons/cpu-and-gpu']").ClickAsync();
        await page.WaitForURLAsync("**/lessons/cpu-and-gpu");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("What a CPU is, what a GPU is");
        await Assertions.Expect(page.Locator("[data-tryit=cpu-small]")).ToBeVisibleAsync();

        await page.GotoAsync(app.BaseUrl + "/runs/new?dataset=builtin&images=40&epochs=2&device=cpu");
        await page.WaitForCircuitAsync();
        await Assertions.Expect(page.Locator("#images")).ToHaveValueAsync("40");
        await page.LaunchAsync(app);
        var runUrl = page.Url;

        // Live: the progress bar reaches 100% and the run completes with an accuracy.
        await Assertions.Expect(page.Locator("[data-progress='100']")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Assertions.Expect(page.Locator("[data-status=Completed]")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        var accuracy = double.Parse(await page.Locator("[data-accuracy]").GetAttributeAsync("data-accuracy") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(accuracy > 0.4, $"held-out accuracy {accuracy}");
        await Assertions.Expect(page.Locator("[data-chart=throughput] svg.main-svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-chart=epochs] svg.main-svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-chart=confusion] svg.main-svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-chart=throughput] .scatterlayer .trace")).ToHaveCountAsync(1);

        await page.GotoAsync(app.BaseUrl + "/runs");
        await Assertions.Expect(page.Locator("#history")).ToContainTextAsync("builtin");
        await Assertions.Expect(page.Locator("#history")).ToContainTextAsync("Completed");
        await page.Locator($"#history a[href='{new Uri(runUrl).AbsolutePath}']").ClickAsync();
        await page.WaitForURLAsync(runUrl);

        await page.GotoAsync(app.BaseUrl + "/compare");
        await Assertions.Expect(page.Locator("#compare-table")).ToContainTextAsync("CPU");
        await Assertions.Expect(page.Locator("#article-reference")).ToContainTextAsync("42 minutes");
        await page.WaitForTimeoutAsync(500);
        await page.ScreenshotAsync("compare.png");
    }

    [Fact]
    public async Task Learner_RunsALessonsTryIt_SeesItInASecondTab_AndClosingTheFirstDoesNotStopIt()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/lessons/same-script-cpu-or-gpu-build");
        await page.WaitForCircuitAsync();
        var block = page.Locator("[data-tryit=auto-device]");
        await block.GetByRole(AriaRole.Button, new() { Name = "Run it" }).ClickAsync();
        // Its throughput chart: light SVG while the run goes, Plotly's once it is done.
        await Assertions.Expect(block.Locator("[data-chart=throughput] svg").First).ToBeVisibleAsync();
        var href = await block.Locator("a[href^='/runs/']").GetAttributeAsync("href");
        Assert.NotNull(href);

        var second = await app.NewPageAsync();
        await second.GotoAsync(app.BaseUrl + href);
        await page.CloseAsync(); // the run belongs to the server, not to the tab that started it
        await Assertions.Expect(second.Locator("[data-status=Completed]")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Assertions.Expect(second.Locator("[data-progress='100']")).ToBeVisibleAsync();
        await Assertions.Expect(second.Locator("[data-accuracy]")).ToBeVisibleAsync();

        await second.GotoAsync(app.BaseUrl + "/lessons");
        await Assertions.Expect(second.Locator("#lesson-progress")).ToContainTextAsync("of 9 read");
    }

    [Fact]
    public async Task Learner_AsksForGpuOnCpuBuild_SeesWhyNot()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/runs/new");
        await Assertions.Expect(page.Locator("#gpu-reason")).ToContainTextAsync("-p:RuntimeBuild=gpu");
        await page.GotoAsync(app.BaseUrl + "/doctor");
        await Assertions.Expect(page.Locator("#cuda-usable")).ToHaveTextAsync("no");
        await page.ScreenshotAsync("doctor.png");
        await page.GotoAsync(app.BaseUrl + "/replay");
        await Assertions.Expect(page.Locator("#replay-dataset")).ToContainTextAsync("Fashion-MNIST");
    }

    /// <summary>INT8 from the launcher (issue 25): the precision choice, the CPU only, and the run page that offers the same run at FP32.</summary>
    [Fact]
    public async Task Learner_ChoosesInt8_RunsOnTheCpu_AndIsOfferedTheSameAtFp32()
    {
        // The INT8 network where the app keeps it, calibrated on few images here (the app derives its own with 300 on first need).
        var catalog = new LearnDL.Training.Datasets.DatasetCatalog(new() { DataFolder = Directory.CreateTempSubdirectory("learndl-int8-").FullName });
        var path = LearnDL.Training.Precision.Int8Network.PathIn(app.DataFolder);
        if (!File.Exists(path))
            LearnDL.Training.Precision.Int8Network.Save(LearnDL.Training.Precision.Int8Network.Derive(catalog, null, 20, LearnDL.Training.Precision.CalibrationMethod.MinMax).Model, path);

        var page = await app.NewPageAsync();
        await page.GotoAsync($"{app.BaseUrl}/runs/new?dataset=builtin&images=40&epochs=1&device=auto");
        await page.WaitForCircuitAsync();
        await page.GetByTestId("precision-select").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "INT8 (8-bit integers, CPU only)" }).ClickAsync();
        await Assertions.Expect(page.GetByText("INT8 runs on the CPU only")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Radio, new() { Name = "Auto" })).ToBeDisabledAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Radio, new() { Name = "CPU" })).ToBeCheckedAsync();
        await page.LaunchAsync(app);
        await Assertions.Expect(page.Locator("[data-status=Completed]")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Assertions.Expect(page.GetByTestId("run-precision")).ToHaveTextAsync("INT8");
        await Assertions.Expect(page.Locator("#other-precision")).ToHaveTextAsync("Run the same at FP32");
        await Assertions.Expect(page.Locator("#other-device")).ToHaveCountAsync(0); // the GPU has no INT8 path
    }
}
