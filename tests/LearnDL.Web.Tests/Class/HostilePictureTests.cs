using System.Diagnostics;
using LearnDL.Testing;
using LearnDL.Training.Datasets;
using LearnDL.Web.Datasets;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace LearnDL.Web.Tests.Class;

/// <summary>The app with one finished run whose model classifies, and a folder dataset with a pixel bomb in it.</summary>
public sealed class HostilePictureFixture : IAsyncLifetime
{
    public TempFolder Temp { get; } = new();
    public LearnDLFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public Guid RunId { get; private set; }

    public async Task InitializeAsync()
    {
        Factory = new LearnDLFactory(Temp.Path);
        Client = Factory.CreateClient();
        RunId = await Client.SubmitAsync(new { dataset = "builtin", images = 40, epochs = 1, device = "cpu" });
        Assert.Equal("completed", (await Client.WaitForRunAsync(RunId))["status"]!.GetValue<string>());
    }

    public RunClassifier Classifier => Factory.Services.GetRequiredService<RunClassifier>();
    public UploadedDatasets Uploads => Factory.Services.GetRequiredService<UploadedDatasets>();

    public Task DisposeAsync()
    {
        Factory.Dispose();
        Temp.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Alone, so the memory measured is the classifications' and not a parallel test's run.</summary>
[CollectionDefinition("hostile pictures", DisableParallelization = true)]
public class HostilePictureCollection;

/// <summary>Pixel bombs and broken pictures sent the ways a student can: to classify, in a zip, in a folder a run reads.</summary>
[Collection("hostile pictures")]
public class HostilePictureTests(HostilePictureFixture f) : IClassFixture<HostilePictureFixture>
{
    private static byte[] Picture(string name) => name switch
    {
        "png bomb" => HostilePictures.PngBomb(),
        "gif bomb" => HostilePictures.Gif(65_535, 65_535, 65_535, 65_535),
        "webp bomb" => HostilePictures.WebpCanvas(16_384, 16_384),
        "jpeg bomb" => HostilePictures.JpegDeclaring(60_000, 60_000),
        "strip" => HostilePictures.Png(40_000, 1, bitDepth: 8, rows: 1),
        "cut short" => HostilePictures.CutShort(HostilePictures.Photo(300, 200, SKEncodedImageFormat.Jpeg)),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("png bomb", "That picture declares 30,000 x 30,000 pixels (900 megapixels); at most 40 megapixels are read (MaxImagePixels).")]
    [InlineData("gif bomb", "That picture declares 65,535 x 65,535 pixels (4,295 megapixels); at most 40 megapixels are read (MaxImagePixels).")]
    [InlineData("webp bomb", "That picture declares 16,384 x 16,384 pixels (268 megapixels); at most 40 megapixels are read (MaxImagePixels).")]
    [InlineData("jpeg bomb", "That picture declares 60,000 x 60,000 pixels (3,600 megapixels); at most 40 megapixels are read (MaxImagePixels).")]
    [InlineData("strip", "That picture is 40,000 x 1 pixels, one side 40,000 times the other; pictures up to 20:1 are read.")]
    [InlineData("cut short", "That picture is cut short: the file ends before its picture does. Send the whole file.")]
    public async Task Classify_HostilePicture_IsRefused_AndTheLearnerIsToldWhy(string name, string message)
    {
        var bytes = Picture(name);
        var outcome = await f.Classifier.ClassifyAsync(f.RunId, new MemoryStream(bytes), bytes.Length, RunOwner.NewLearner());
        Assert.Null(outcome.Scores);
        Assert.Equal(message, outcome.Problem);
    }

    [Fact]
    public async Task Classify_ALargePhoto_StillWorks()
    {
        var photo = HostilePictures.Photo(4000, 3000, SKEncodedImageFormat.Jpeg, quality: 70);
        var outcome = await f.Classifier.ClassifyAsync(f.RunId, new MemoryStream(photo), photo.Length, RunOwner.NewLearner());
        Assert.Null(outcome.Problem);
        Assert.Equal(1.0, outcome.Scores!.Sum(s => s.Probability), 3);
        Assert.NotNull(outcome.ThumbnailPng);
    }

    [Fact]
    public async Task Classify_TenPixelBombsAtOnce_AreAllRefused_QuicklyAndWithoutTheirGigabytes()
    {
        var bombs = Enumerable.Range(0, 10).Select(_ => HostilePictures.PngBomb()).ToList();
        GC.Collect();
        var before = ResidentBytes();
        var peak = before;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () => { while (!stop.IsCancellationRequested) { peak = Math.Max(peak, ResidentBytes()); await Task.Delay(5); } });
        var clock = Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(bombs.Select(b => f.Classifier.ClassifyAsync(f.RunId, new MemoryStream(b), b.Length, RunOwner.NewLearner())));
        var time = clock.Elapsed;
        stop.Cancel();
        await sampler;

        Assert.All(outcomes, o => Assert.Contains("declares 30,000 x 30,000 pixels (900 megapixels)", o.Problem));
        // Decoded, each would take 900 MB and 9 s (two at a time, one per core): here they cost almost nothing.
        Assert.True(time < TimeSpan.FromSeconds(5), $"took {time}");
        Assert.True(peak - before < 200L * 1024 * 1024, $"resident memory grew by {(peak - before) / 1e6:0} MB");
    }

    [Fact]
    public async Task ZipImport_SkipsAndCountsPixelBombs_SayingWhichAndWhy()
    {
        // Stored, not compressed: a pixel bomb deflated again is also a zip bomb (its entry is refused by its ratio, see
        // UploadCostTests); stored, it passes the ratios, and its header is what stops it.
        var zip = Zips.Stored([.. Enumerable.Range(0, 3).Select(i => ($"shapes/red/r{i}.png", Zips.Png((byte)(200 + i)))),
            .. Enumerable.Range(0, 3).Select(i => ($"shapes/blue/b{i}.png", Zips.Png((byte)(20 + i)))),
            ("shapes/red/bomb.png", HostilePictures.PngBomb()), ("shapes/blue/bomb.jpg", HostilePictures.JpegDeclaring(60_000, 60_000)),
            ("shapes/blue/notes.txt", "not a picture"u8.ToArray())]);

        // The importer, as the upload page's import calls it: what it kept, and the words for what it skipped.
        var path = Path.Combine(f.Temp.Path, "bombs.zip");
        await File.WriteAllBytesAsync(path, zip);
        var staging = Path.Combine(f.Temp.Path, "staging-" + Guid.NewGuid().ToString("N"));
        var unpacked = ZipImporter.Extract(path, staging, new ImportLimits(100_000_000, 100, 2000, MaxArchiveCompressionRatio: 2000), CancellationToken.None);
        Assert.Equal((6, 3), (unpacked.Images, unpacked.Skipped));
        Assert.Equal(["shapes/blue/bomb.jpg declares 60,000 x 60,000 pixels (3,600 megapixels); at most 40 megapixels are read (MaxImagePixels).",
            "shapes/red/bomb.png declares 30,000 x 30,000 pixels (900 megapixels); at most 40 megapixels are read (MaxImagePixels)."], unpacked.Refused.Order());
        Assert.StartsWith("3 files were skipped: 1 was not a picture in a class folder; 2 pictures were refused: shapes/", unpacked.SkippedSummary);
        Assert.Equal(6, Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories).Count()); // the bombs are not kept

        // The whole upload: imported with the bombs left out and counted.
        var outcome = await f.Uploads.ImportAsync(new MemoryStream(zip), zip.Length, "with-bombs", RunOwner.NewLearner());
        Assert.True(outcome.Accepted, outcome.Message);
        Assert.Equal((6, 3), (outcome.Dataset!.Images, outcome.Dataset.Skipped));
        Assert.Contains("6 images", outcome.Message);
        Assert.Contains("3 files", outcome.Message);
    }

    [Fact]
    public async Task ZipImport_WithNothingButPixelBombs_IsRefused_SayingWhy()
    {
        var zip = Zips.Stored(("set/a/1.png", HostilePictures.PngBomb()), ("set/a/2.gif", HostilePictures.Gif(65_535, 65_535, 65_535, 65_535)),
            ("set/b/1.webp", HostilePictures.WebpCanvas(16_384, 16_384)), ("set/b/2.png", HostilePictures.PngBomb()));
        var outcome = await f.Uploads.ImportAsync(new MemoryStream(zip), zip.Length, "only-bombs", RunOwner.NewLearner());
        Assert.False(outcome.Accepted);
        Assert.StartsWith("Refused: a classifier needs at least two classes (one folder each, with images); this zip has 0. 4 files were skipped: 4 pictures were refused: set/a/1.png declares 30,000 x 30,000 pixels (900 megapixels)", outcome.Message);
        Assert.Contains("(and 1 more)", outcome.Message);
    }

    [Fact]
    public async Task FolderRun_WithPixelBombsInIt_CompletesWithThemSkipped()
    {
        var root = Path.Combine(f.Temp.Path, "folders", "bombed");
        foreach (var (name, shade) in new[] { ("red", (byte)220), ("blue", (byte)30) })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (int i = 0; i < 5; i++) await File.WriteAllBytesAsync(Path.Combine(root, name, $"{i}.png"), Zips.Png((byte)(shade + i)));
        }
        await File.WriteAllBytesAsync(Path.Combine(root, "red", "bomb.png"), HostilePictures.PngBomb());
        await File.WriteAllBytesAsync(Path.Combine(root, "blue", "bomb.webp"), HostilePictures.WebpCanvas(16_384, 16_384));

        var id = await f.Client.SubmitAsync(new { dataset = "folder:" + root, images = 12, epochs = 1, device = "cpu" });
        var run = await f.Client.WaitForRunAsync(id);
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        Assert.Equal(2, run["result"]!["skippedFiles"]!.GetValue<int>());
        Assert.Equal(10, run["result"]!["images"]!.GetValue<int>());
        var result = run["result"]!.ToJsonString();
        var skipped = run["result"]!["skipped"]!.AsArray().Select(s => (Image: s!["image"]!.GetValue<string>(), Reason: s["reason"]!.GetValue<string>())).OrderBy(s => s.Image).ToList();
        Assert.Equal(["blue/bomb.webp", "red/bomb.png"], skipped.Select(s => s.Image)); // named as the learner put them, without the server's folders
        Assert.Contains("30,000 x 30,000 pixels", skipped[1].Reason); // and why
    }

    [Fact]
    public async Task Thumbnails_LeaveOutPixelBombs()
    {
        var root = Path.Combine(f.Temp.Path, "folders", "thumbs");
        foreach (var name in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            await File.WriteAllBytesAsync(Path.Combine(root, name, "good.jpg"), HostilePictures.Photo(3000, 2000, SKEncodedImageFormat.Jpeg));
            await File.WriteAllBytesAsync(Path.Combine(root, name, "bomb.png"), HostilePictures.PngBomb());
        }
        var thumbnails = await f.Factory.Services.GetRequiredService<DatasetDirectory>().ThumbnailsAsync("folder:" + root);
        Assert.Equal(["a", "b"], thumbnails.Select(t => t.Class));
        using var png = SKBitmap.Decode(Convert.FromBase64String(thumbnails[0].Png));
        Assert.Equal((48, 48), (png.Width, png.Height));
    }

    private static long ResidentBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line[6..].Replace("kB", "").Trim()) * 1024;
    }
}
