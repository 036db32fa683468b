using LearnDL.Training.Datasets;
using Microsoft.Playwright;
using SkiaSharp;
using System.IO.Compression;

namespace LearnDL.E2E;

/// <summary>A class in Chromium: students join with a name, run and upload; the instructor watches and exports.</summary>
[Collection(ClassAppCollection.Name)]
public class ClassTests(ClassAppServer app)
{
    private async Task<IPage> StudentAsync(string name)
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/lessons/same-script-cpu-or-gpu-build");
        Assert.Contains("/join?returnUrl=", page.Url); // no name yet: choose one first
        await page.Locator("#name").FillAsync(name);
        await page.Locator("#join").ClickAsync();
        await page.WaitForURLAsync("**/lessons/same-script-cpu-or-gpu-build");
        await page.WaitForCircuitAsync();
        await Assertions.Expect(page.Locator("#who-am-i")).ToContainTextAsync(name);
        return page;
    }

    /// <summary>The instructor on their dashboard (signed in once for the class's tests, see <see cref="ClassAppServer.NewInstructorPageAsync"/>).</summary>
    private Task<IPage> InstructorAsync(int height = 1400) => app.NewInstructorPageAsync(height);

    [Fact]
    public async Task Student_JoinsAndRunsATryIt_TheInstructorSeesItLive_AndExportsTheCsv()
    {
        var join = await app.NewPageAsync();
        await join.GotoAsync(app.BaseUrl + "/join");
        await join.AssertAccessibleAsync("/join");
        await join.ScreenshotAsync("join.png");

        var student = await StudentAsync("Grace Hopper");
        var tryIt = student.Locator("[data-tryit=auto-device]");
        await tryIt.GetByRole(AriaRole.Button, new() { Name = "Run it" }).ClickAsync();
        await Assertions.Expect(tryIt.Locator("[data-status=Completed]")).ToBeVisibleAsync(new() { Timeout = 120_000 });

        var instructor = await InstructorAsync();
        // Runs execute in this app's process: the one machine is this server, listed with no drain button.
        var machines = instructor.Locator("[data-testid=workers-panel]");
        await Assertions.Expect(machines.Locator("[data-testid=worker-row][data-worker=local]")).ToContainTextAsync("this server");
        await Assertions.Expect(machines.Locator("[data-testid=worker-capacity-cpu]")).ToContainTextAsync("CPU: this server");
        await Assertions.Expect(machines.Locator("[data-testid=worker-drain]")).ToHaveCountAsync(0);
        var results = instructor.Locator("#class-results");
        await Assertions.Expect(results).ToContainTextAsync("Grace Hopper");
        await Assertions.Expect(results).ToContainTextAsync("builtin");
        await instructor.AssertAccessibleAsync("/instructor");
        await instructor.ScreenshotAsync("instructor.png", fullPage: true);

        var download = await instructor.RunAndWaitForDownloadAsync(() => instructor.Locator("[data-testid=export-csv]").ClickAsync());
        var csv = await File.ReadAllTextAsync(await download.PathAsync());
        Assert.StartsWith("student,device,dataset,images,epochs,seconds,images_per_second,accuracy,finished_utc,run", csv);
        Assert.Contains("Grace Hopper,cpu,builtin,60,1,", csv);

        // The class demo appears live on the student's home page.
        await instructor.Locator("#start-demo").ClickAsync();
        await Assertions.Expect(instructor.Locator("#demo-current")).ToBeVisibleAsync();
        await student.GotoAsync(app.BaseUrl + "/");
        await Assertions.Expect(student.Locator("#class-demo [data-status]")).ToBeVisibleAsync();
    }

    /// <summary>
    /// The class's own GPUs (issue 24): two students measure their cards with lesson 8's notebook and paste the result;
    /// each sees their card in the lesson's sentences, and the instructor's table (class-gpus) shows both cards and their
    /// figures beside the reference.
    /// </summary>
    [Fact]
    public async Task TwoStudentsPasteTheirCards_TheInstructorSeesBothInTheClassTable()
    {
        static string Result(string device, string gpu, double forward, double train) =>
            $$"""{"learndl": "learndl-gpu-result", "version": 1, "measured": "2026-12-06", "torch": "2.5.1+cu121", "device": "{{device}}", "gpu": "{{gpu}}", "cpu": "Intel(R) Xeon(R) CPU @ 2.20GHz", "cpu_threads": 2, "image_size": 224, "resnet18": [{"precision": "fp32", "batch": 32, "train": false, "seconds_per_batch": {{32 / forward}}, "images_per_second": {{forward}}}, {"precision": "fp32", "batch": 32, "train": true, "seconds_per_batch": {{32 / train}}, "images_per_second": {{train}}}], "matmul": [{"precision": "fp32", "n": 4096, "seconds": 0.032, "gflops": 4295.0}]}""";
        var cards = new[] { ("Katherine Johnson", Result("cuda", "Tesla T4", 1100, 330), "Tesla T4", "1,100", "330"), ("Dorothy Vaughan", Result("cuda", "Tesla P100-PCIE-16GB", 1650, 520), "Tesla P100-PCIE-16GB", "1,650", "520") };
        foreach (var (name, result, card, forward, _) in cards)
        {
            var student = await StudentAsync(name);
            await student.GotoAsync(app.BaseUrl + "/lessons/where-to-get-a-gpu");
            await student.WaitForCircuitAsync();
            await student.Locator("[data-testid=gpu-result-input]").FillAsync(result);
            await student.Locator("#gpu-result-keep").ClickAsync();
            await Assertions.Expect(student.Locator("[data-testid=my-gpu]")).ToContainTextAsync(card);
            // The lesson's sentence now states the student's own card, labelled as theirs.
            await Assertions.Expect(student.Locator(".course-number[data-number='mine.fwd']")).ToContainTextAsync($"Your {card}, measured by you, runs ResNet18 forward at {forward} images a second");
        }

        var instructor = await InstructorAsync();
        var table = instructor.Locator("[data-testid=class-gpus]");
        foreach (var (name, _, card, forward, train) in cards)
        {
            var row = table.Locator("tbody tr", new() { HasText = name });
            await Assertions.Expect(row).ToHaveCountAsync(1);
            await Assertions.Expect(row.Locator("td").Nth(1)).ToHaveTextAsync(card);
            await Assertions.Expect(row.Locator("td").Nth(2)).ToHaveTextAsync(forward);
            await Assertions.Expect(row.Locator("td").Nth(3)).ToHaveTextAsync(train);
        }
        await Assertions.Expect(table.Locator("tr.reference-row")).ToContainTextAsync("NVIDIA H200");
        await Assertions.Expect(instructor.Locator("#class-gpus-none")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Student_UploadsADataset_AndAHostileZipIsRefused()
    {
        var page = await StudentAsync("Alan Turing");
        await page.GotoAsync(app.BaseUrl + "/datasets");
        await page.WaitForCircuitAsync();
        var upload = page.Locator("[data-testid=dataset-upload]");

        var evil = Path.Combine(app.DataFolder, "evil.zip");
        using (var zip = ZipFile.Open(evil, ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("cats/1.png").Open()) s.Write(Png(10));
            using (var s = zip.CreateEntry("../../escaped.png").Open()) s.Write(Png(20));
        }
        await upload.Locator("#upload-name").FillAsync("Evil");
        await upload.Locator("#upload-name").BlurAsync(); // the name binds on change
        await upload.Locator("input[type=file]").ChooseFileAsync(evil);
        await page.Locator("#import").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=import-result]")).ToContainTextAsync("Refused: the entry \"../../escaped.png\" tries to leave its folder");

        var good = Path.Combine(app.DataFolder, "shapes.zip");
        using (var zip = ZipFile.Open(good, ZipArchiveMode.Create))
            foreach (var (cls, shade) in new[] { ("light", 220), ("dark", 30) })
                for (int i = 0; i < 3; i++)
                    using (var s = zip.CreateEntry($"shapes/{cls}/{i}.png").Open()) s.Write(Png((byte)(shade + i)));
        await upload.Locator("#upload-name").FillAsync("Shapes");
        await upload.Locator("#upload-name").BlurAsync(); // the name binds on change
        await upload.Locator("input[type=file]").ChooseFileAsync(good);
        await page.Locator("#import").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=import-result]")).ToContainTextAsync("Imported Shapes: 2 classes (dark, light), 6 images");
        // Counted against the quota of the address the circuit's connection came from (this browser's), not an unknown one.
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(app.DataFolder, "learndl.db")};Mode=ReadOnly;Pooling=False"))
        {
            db.Open();
            using var query = db.CreateCommand();
            query.CommandText = "SELECT UploaderAddress FROM UploadedDatasets WHERE Name = 'Shapes'";
            var address = query.ExecuteScalar() as string;
            Assert.True(System.Net.IPAddress.TryParse(address, out var ip) && System.Net.IPAddress.IsLoopback(ip), $"stored address: {address}");
        }
        await Assertions.Expect(page.Locator("[data-dataset='upload:Shapes'] img.dataset-thumb").First).ToBeVisibleAsync();
        await page.AssertAccessibleAsync("/datasets");
        await page.ScreenshotAsync("datasets.png");

        await page.GotoAsync(app.BaseUrl + "/runs/new?dataset=upload%3AShapes&images=6&epochs=1&device=cpu");
        await page.WaitForCircuitAsync();
        await page.LaunchAsync(app);
        await Assertions.Expect(page.Locator("[data-status=Completed]")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        Assert.False(File.Exists(Path.Combine(app.DataFolder, "escaped.png")));
    }

    [Fact]
    public async Task Students_CannotReadOrStopEachOthersRuns_AndLeavingASharedRunLeavesItToTheOthers()
    {
        var instructor = await InstructorAsync();
        var pause = instructor.Locator("#pause-cpu");
        await pause.ClickAsync(); // runs wait, so both students are surely on the same one
        await Assertions.Expect(pause).ToContainTextAsync("Resume");
        try
        {
            var ada = await StudentAsync("Ada Lovelace");
            var bob = await StudentAsync("Bob Noyce");
            foreach (var student in new[] { ada, bob })
                await student.Locator("[data-tryit=auto-device]").GetByRole(AriaRole.Button, new() { Name = "Run it" }).ClickAsync();
            await Assertions.Expect(bob.Locator("[data-tryit=auto-device] #shared-run")).ToContainTextAsync("same run as 1 other");

            // Ada on the full page of the run: she may only leave it, and then it goes on for Bob.
            await ada.Locator("[data-tryit=auto-device]").GetByRole(AriaRole.Link, new() { Name = "Open the full run page" }).ClickAsync();
            await ada.Locator("#cancel-run").WaitForAsync();
            var run = new Uri(ada.Url).AbsolutePath;
            await Assertions.Expect(ada.Locator("#cancel-run")).ToHaveTextAsync("Leave this run");
            await ada.Locator("#cancel-run").ClickAsync();
            await Assertions.Expect(ada.GetByText("You left this shared run")).ToBeVisibleAsync();
            await Assertions.Expect(bob.Locator("[data-tryit=auto-device] [data-status=Queued]")).ToBeVisibleAsync();

            // Off it, the run is not hers to open; Carol never was on it, and cannot compare it either.
            await ada.GotoAsync(app.BaseUrl + run);
            await Assertions.Expect(ada.Locator("#not-found")).ToBeVisibleAsync();
            var carol = await StudentAsync("Carol Shaw");
            await carol.GotoAsync(app.BaseUrl + "/compare?ids=" + run["/runs/".Length..]);
            await Assertions.Expect(carol.Locator("#compare-table")).Not.ToContainTextAsync(run["/runs/".Length..][..8]);
            await Assertions.Expect(carol.GetByText("No finished runs chosen")).ToBeVisibleAsync();

            // Bob, the last one on it, stops it with the same button: for him it is Cancel.
            await bob.GotoAsync(app.BaseUrl + run);
            await bob.WaitForCircuitAsync();
            await Assertions.Expect(bob.Locator("#cancel-run")).ToHaveTextAsync("Cancel");
            await bob.Locator("#cancel-run").ClickAsync();
            await Assertions.Expect(bob.Locator("[data-status=Cancelled]")).ToBeVisibleAsync();
        }
        finally
        {
            await pause.ClickAsync();
            await Assertions.Expect(pause).ToContainTextAsync("Pause");
        }
    }

    [Fact]
    public async Task ClassPulse_StudentsAnswerInTheirBrowsers_ThePanelUpdatesLive_FlagsWhoNeedsHelp_AndAgreesWithTheApiAndCsv()
    {
        const string slug = "same-script-cpu-or-gpu-build";
        var lesson = new LearnDL.Web.Features.Lessons.LessonCatalog(Path.Combine(AppContext.BaseDirectory, "lessons")).Find(slug)!;
        var questions = lesson.Questions.ToList();
        var trap = questions.Single(q => q.Id == "trap");
        var right = trap.Answers.FindIndex(a => a.Correct);
        var wrong = trap.Answers.FindIndex(a => !a.Correct);

        var instructor = await InstructorAsync(height: 1600);
        var row = instructor.Locator($"[data-testid=pulse-question][data-question='{slug}/trap']");
        await Assertions.Expect(row).ToContainTextAsync("not answered yet");

        // Quinn opens the lesson and then does nothing while the others work.
        await StudentAsync("Quiet Quinn");
        var quietSince = DateTime.UtcNow;
        var rita = await StudentAsync("Right Rita");
        var will = await StudentAsync("Wrong Will");
        var wes = await StudentAsync("Wrong Wes");
        await AnswerAsync(rita, "trap", right);
        await AnswerAsync(will, "trap", wrong);
        await AnswerAsync(wes, "trap", wrong);
        // Live, without a reload: one of three right at the first try, the wrong answer both chose named.
        await Assertions.Expect(row).ToContainTextAsync("33 % (1 of 3)");
        await Assertions.Expect(row).ToContainTextAsync(trap.Answers[wrong].Text);
        await AnswerAsync(will, "trap", right); // found it at the second try: the first try stays wrong
        foreach (var q in questions.Where(q => q.Id != "trap").Take(2)) await AnswerAsync(will, q.Id, q.Answers.FindIndex(a => !a.Correct));
        var willRow = instructor.Locator("[data-testid=pulse-stuck][data-student='Wrong Will']");
        await Assertions.Expect(willRow).ToContainTextAsync("3 wrong first tries in a row");

        // Fay's runs: two in a row cancelled (the queue paused, so they end before they start).
        var pause = instructor.Locator("#pause-cpu");
        await pause.ClickAsync();
        await Assertions.Expect(pause).ToContainTextAsync("Resume");
        try
        {
            var fay = await StudentAsync("Failing Fay");
            var quietFor = TimeSpan.FromMinutes(ClassAppServer.StuckAfterMinutes) - (DateTime.UtcNow - quietSince) + TimeSpan.FromSeconds(3);
            if (quietFor > TimeSpan.Zero) await Task.Delay(quietFor); // Quinn has now been quiet for longer than the class allows
            foreach (var images in new[] { 16, 20 })
            {
                var submitted = await fay.APIRequest.PostAsync(app.BaseUrl + "/api/runs", new() { DataObject = new { dataset = "builtin", images, epochs = 1, device = "cpu" } });
                Assert.Equal(202, submitted.Status);
                var id = (await submitted.JsonAsync())!.Value.GetProperty("id").GetString();
                Assert.Equal(202, (await fay.APIRequest.DeleteAsync($"{app.BaseUrl}/api/runs/{id}")).Status);
            }
        }
        finally
        {
            await pause.ClickAsync();
            await Assertions.Expect(pause).ToContainTextAsync("Pause");
        }
        await Assertions.Expect(instructor.Locator("[data-testid=pulse-stuck][data-student='Failing Fay']")).ToContainTextAsync("2 runs in a row failed or cancelled");
        var quinn = instructor.Locator("[data-testid=pulse-stuck][data-student='Quiet Quinn']");
        // Seen on the next change, or the panel's 15 s tick at the latest.
        await Assertions.Expect(quinn).ToContainTextAsync("no progress for", new() { Timeout = 40_000 });
        await Assertions.Expect(quinn).ToContainTextAsync(lesson.Title);

        // With the panel full: nothing serious for axe, and a picture for the README.
        await instructor.AssertAccessibleAsync("/instructor with the class pulse full");
        // From the page's top, so the app bar (fixed) does not cover the panel's heading.
        await instructor.EvaluateAsync("() => window.scrollTo(0, 0)");
        var box = (await instructor.Locator("#class-pulse").BoundingBoxAsync())!;
        await instructor.ScreenshotAsync(new() { Path = Path.Combine(AppServer.ScreenshotFolder, "class-pulse.png"), FullPage = true,
            Clip = new() { X = box.X, Y = box.Y, Width = box.Width, Height = Math.Min(box.Height, 900) } });

        // The API and the CSV say the same as the panel.
        var pulse = (await (await instructor.APIRequest.GetAsync(app.BaseUrl + "/api/instructor/pulse")).JsonAsync())!.Value;
        var q0 = pulse.GetProperty("questions").EnumerateArray().Single(q => q.GetProperty("lesson").GetString() == slug && q.GetProperty("id").GetString() == "trap");
        Assert.Equal(3, q0.GetProperty("answered").GetInt32());
        Assert.Equal(1.0 / 3, q0.GetProperty("firstTryCorrectShare").GetDouble(), 6);
        Assert.Equal(trap.Answers[wrong].Text, q0.GetProperty("commonWrongAnswer").GetString());
        Assert.Contains(pulse.GetProperty("stuck").EnumerateArray(), s => s.GetProperty("student").GetString() == "Quiet Quinn");
        var csv = (await (await instructor.APIRequest.GetAsync(app.BaseUrl + "/api/instructor/answers.csv")).TextAsync()).Split("\r\n");
        var column = csv[0].Split(',').ToList().IndexOf($"{slug}/trap");
        Assert.Equal("wrong", csv.Single(r => r.StartsWith("Wrong Will,")).Split(',')[column]);
        Assert.Equal("right", csv.Single(r => r.StartsWith("Right Rita,")).Split(',')[column]);

        // One click from a flagged student to what they did.
        await willRow.GetByRole(AriaRole.Link, new() { Name = "Wrong Will" }).ClickAsync();
        await Assertions.Expect(instructor.GetByRole(AriaRole.Heading, new() { Name = "What Wrong Will did" })).ToBeVisibleAsync();
        await Assertions.Expect(instructor.Locator("[data-testid=student-answer]")).ToHaveCountAsync(3);
        await Assertions.Expect(instructor.Locator($"[data-testid=student-answer][data-question='{slug}/trap']")).ToContainTextAsync("wrong");

        // The end of the course: the instructor clears the class's records, after saying yes to the question.
        await instructor.GotoAsync(app.BaseUrl + "/instructor");
        await instructor.WaitForCircuitAsync();
        await instructor.Locator("#clear-records").ClickAsync();
        await instructor.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("33 % (1 of 3)"); // cancelled: nothing cleared
        await instructor.Locator("#clear-records").ClickAsync();
        await instructor.GetByRole(AriaRole.Button, new() { Name = "Clear the records" }).ClickAsync();
        await Assertions.Expect(instructor.Locator("#pulse-message")).ToContainTextAsync("cleared");
        await Assertions.Expect(row).ToContainTextAsync("not answered yet");
        // Will's wrong first tries are forgotten (a student who joined long ago may still show as quiet).
        await Assertions.Expect(instructor.Locator("[data-testid=pulse-stuck]", new() { HasText = "wrong first tries" })).ToHaveCountAsync(0);
    }

    /// <summary>Chooses an answer on the lesson's page, as a student clicks it, and waits for the verdict.</summary>
    private static async Task AnswerAsync(IPage student, string question, int answer)
    {
        var fieldset = student.Locator($"[data-testid=check-question][data-question='{question}']");
        await fieldset.Locator("[data-testid=check-answer]").Nth(answer).ClickAsync();
        await Assertions.Expect(fieldset.Locator("[data-testid=check-answer]").Nth(answer)).ToHaveAttributeAsync("aria-pressed", "true");
    }

    private static byte[] Png(byte shade)
    {
        using var bitmap = new SKBitmap(16, 16);
        bitmap.Erase(new SKColor(shade, shade, shade));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
