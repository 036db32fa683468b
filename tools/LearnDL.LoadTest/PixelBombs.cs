using System.Diagnostics;
using LearnDL.Testing;
using Microsoft.Playwright;

namespace LearnDL.LoadTest;

/// <summary>How the app's memory went while one student sent pixel bombs one way.</summary>
public sealed record PixelBombResult(string Way, int Pictures, double BeforeMegabytes, double PeakMegabytes, double Seconds, string Outcome)
{
    public double GrowthMegabytes => PeakMegabytes - BeforeMegabytes;
    public override string ToString() =>
        $"{Pictures} at once, {Way}: resident {BeforeMegabytes:0} MB before, {PeakMegabytes:0} MB at the peak (+{GrowthMegabytes:0} MB), {Seconds:0.0} s; {Outcome}";
}

/// <summary>
/// One student sends ten pixel bombs (valid 109 KB PNGs of 30,000 x 30,000 one-bit pixels) at once,
/// the two ways a student reaches decoding over HTTP: "classify your own picture" on a finished run's
/// page, in ten tabs at once (Blazor, in Chromium), and a run (POST /api/runs) over a folder dataset
/// with ten bombs among its pictures; then ten of the worst pictures still allowed (at 40 megapixels,
/// 6,300 x 6,300 RGBA PNGs: 40 KB each, 159 MB decoded) to classify. The app's resident memory is sampled every
/// 20 ms and compared with its level just before, once ResNet18 is loaded and a model trained.
/// </summary>
public sealed class PixelBombs(AppProcess app, IBrowser browser)
{
    private const int Bombs = 10;
    private static readonly TimeSpan Sampling = TimeSpan.FromMilliseconds(20);

    /// <summary>A finished built-in run: the network loaded, a model to classify with.</summary>
    public async Task<Guid> WarmUpAsync()
    {
        using var student = await new Student(app.BaseUrl).ArriveAsync();
        var id = await student.Http.SubmitAsync(new { dataset = "builtin", images = 40, epochs = 1, device = "cpu" });
        var run = await student.Http.WaitForRunAsync(id, TimeSpan.FromMinutes(5));
        if (run["status"]!.GetValue<string>() != "completed") throw new InvalidOperationException($"The warm-up run ended {run["status"]}.");
        await Task.Delay(TimeSpan.FromSeconds(5)); // let the run's garbage go
        return id;
    }

    /// <summary>Ten tabs of one browser (one student) on the run's page choose a picture to classify at the same moment.</summary>
    public async Task<PixelBombResult> ClassifyAsync(Guid runId, string what, byte[] picture, Action<string> log)
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        try
        {
            var pages = new List<IPage>();
            for (int i = 0; i < Bombs; i++)
            {
                var page = await context.NewPageAsync();
                await page.GotoAsync($"{app.BaseUrl}/runs/{runId}");
                await page.Locator("[data-interactive=yes]").WaitForAsync();
                await page.Locator("[data-testid=classify-image] input[type=file]:not([disabled])").WaitForAsync();
                pages.Add(page);
            }
            await Task.Delay(TimeSpan.FromSeconds(2)); // InputFile's listener is attached a round trip after it is enabled
            log($"{Bombs} tabs open on the run's page; choosing {what} in each");
            return await MeasureAsync($"{what}, to classify (ten tabs of the run page)", async () =>
            {
                await Task.WhenAll(pages.Select(p => p.Locator("[data-testid=classify-image] input[type=file]")
                    .SetInputFilesAsync(new FilePayload { Name = "picture.png", MimeType = "image/png", Buffer = picture })));
                var answers = await Task.WhenAll(pages.Select(async p =>
                {
                    var result = p.Locator("[data-testid=classify-result]");
                    await result.Locator(".mud-alert, table").First.WaitForAsync(new() { Timeout = 600_000 });
                    return (await result.InnerTextAsync()).Trim();
                }));
                return string.Join(" | ", answers.GroupBy(a => a.Split('\n')[0]).Select(g => $"{g.Count()}x \"{g.Key}\""));
            });
        }
        finally { await context.CloseAsync(); }
    }

    /// <summary>A run over a folder of ten good pictures a class and five bombs a class, sent by one student through the API.</summary>
    public async Task<PixelBombResult> FolderRunAsync(Action<string> log)
    {
        var root = Path.Combine(app.DataFolder, "folders", "pixel-bombs");
        foreach (var (name, shade) in new[] { ("red", (byte)210), ("blue", (byte)40) })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (int i = 0; i < 10; i++)
                await File.WriteAllBytesAsync(Path.Combine(root, name, $"{i}.jpg"), HostilePictures.Photo(640 + 10 * i, 480, SkiaSharp.SKEncodedImageFormat.Jpeg));
            for (int i = 0; i < Bombs / 2; i++) await File.WriteAllBytesAsync(Path.Combine(root, name, $"bomb{i}.png"), HostilePictures.PngBomb());
        }
        using var student = await new Student(app.BaseUrl).ArriveAsync();
        log($"a run over {root}: 20 pictures and {Bombs} bombs");
        return await MeasureAsync("pixel bombs, in a folder dataset a run reads (POST /api/runs)", async () =>
        {
            var id = await student.Http.SubmitAsync(new { dataset = "folder:" + root, images = 20 + Bombs, epochs = 1, device = "cpu" });
            var run = await student.Http.WaitForRunAsync(id, TimeSpan.FromMinutes(20), TimeSpan.FromMilliseconds(250));
            return $"run {run["status"]}, {Student.Number(run, "result.images")} images used, {Student.Number(run, "result.skippedFiles")} skipped";
        });
    }

    private async Task<PixelBombResult> MeasureAsync(string way, Func<Task<string>> send)
    {
        GC.Collect(); // this process's, not the app's: only so the sampler's own garbage stays small
        var clock = Stopwatch.StartNew();
        await using var memory = new MemorySampler(app, Sampling);
        var outcome = await send();
        var seconds = clock.Elapsed.TotalSeconds;
        var result = memory.Result(app.ResidentBytes());
        return new(way, Bombs, result.StartMegabytes, result.PeakMegabytes, seconds, outcome);
    }
}
