using LearnDL.Training.Runs;
using LearnDL.Testing;
using LearnDL.Training.Datasets;
using LearnDL.Web.Data;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace LearnDL.Web.Tests.Class;

/// <summary>
/// Uploads cost what they unpack to (issue 20, review items 3 and 6), through the whole app: zip bombs made of
/// small entries, pictures far larger than a run uses, and quotas per student, per network address across
/// names, and for the class, with the instructor's uploads never blocked by the students'.
/// </summary>
public class UploadCostTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private LearnDLFactory? _factory;

    public void Dispose()
    {
        _factory?.Dispose();
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    private UploadedDatasets Start(params (string Key, string Value)[] settings)
    {
        _factory = new LearnDLFactory(_temp.Path, [("LearnDL:Class:InstructorPassphrase", "teach-the-class-2026"), .. settings]);
        _ = _factory.CreateClient(); // starts the host
        return _factory.Services.GetRequiredService<UploadedDatasets>();
    }

    private readonly Dictionary<string, RunOwner> _students = [];

    /// <summary>A student of the class's register (the importer and the queue refuse a name it does not hold), joined once.</summary>
    private async Task<RunOwner> StudentAsync(string name)
    {
        if (_students.TryGetValue(name, out var known)) return known;
        var (owner, problem) = await _factory!.Services.GetRequiredService<StudentRegistry>().JoinAsync(name, null);
        Assert.True(owner is not null, problem);
        return _students[name] = owner;
    }

    private static Task<ImportOutcome> Import(UploadedDatasets uploads, byte[] zip, string name, RunOwner owner, string address) =>
        uploads.ImportAsync(new MemoryStream(zip), zip.Length, name, owner, address);

    /// <summary>The uploads folder holds the accepted datasets' folders and nothing else; the refused left no row.</summary>
    private async Task AssertOnlyKept(params ImportOutcome[] accepted)
    {
        var root = Path.Combine(_temp.Path, "uploads");
        var entries = Directory.Exists(root) ? Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName).Order().ToList() : [];
        Assert.Equal(accepted.Select(a => a.Dataset!.Id.ToString("N")).Order(), entries);
        await using var db = await _factory!.Services.GetRequiredService<IDbContextFactory<LearnDbContext>>().CreateDbContextAsync();
        Assert.Equal(accepted.Length, await db.UploadedDatasets.CountAsync());
    }

    [Fact]
    public async Task ZipBombOfSmallFlatBmps_IsRefusedAtTheFirstEntry_AndLeavesNothingBehind()
    {
        var uploads = Start();
        // The review's bomb scaled down: zero-filled BMPs each under the 1 MiB where the old ratio check began
        // (30 x 290 KB packed to about 300 bytes each: a 10 KB zip that unpacks to 8.7 MB, 880:1).
        var zip = Zips.Make([.. Enumerable.Range(0, 30).Select(i => ($"bomb/{(i % 2 == 0 ? "a" : "b")}/{i}.bmp", Zips.Bmp(330, 290)))]);
        Assert.True(zip.Length < 20_000, $"{zip.Length} bytes");

        var outcome = await Import(uploads, zip, "flat", await StudentAsync("Mallory"), "10.0.0.66");
        Assert.False(outcome.Accepted);
        Assert.StartsWith("Refused: 0.bmp unpacks to more than 100 times its packed size, as a zip bomb does (MaxCompressionRatio).", outcome.Message);
        Assert.Contains("save it as PNG or JPEG", outcome.Message);
        await AssertOnlyKept();
    }

    [Fact]
    public void EntryRatio_IsCheckedForSmallEntries_AndTheWholeZipsRatioToo()
    {
        var zipPath = Path.Combine(_temp.Path, "small.zip");
        // One 20 KB flat BMP (100 x 68) and a few PNGs: far below any size that used to be checked.
        File.WriteAllBytes(zipPath, Zips.Make(("a/flat.bmp", Zips.Bmp(100, 68)), ("a/1.png", Zips.Png(1)), ("b/1.png", Zips.Png(2)), ("b/2.png", Zips.Png(3))));
        var entry = Assert.Throws<ImportRefusedException>(() => ZipImporter.Extract(zipPath, Path.Combine(_temp.Path, "s1"),
            new ImportLimits(100_000_000, 100, 100, MaxArchiveCompressionRatio: 1_000_000), CancellationToken.None));
        Assert.StartsWith("flat.bmp unpacks to more than 100 times its packed size", entry.Message);

        // Entries each under their own ratio, the zip as a whole over its: 40 BMPs, a random byte in every 100, about 38:1 each.
        var pattern = Zips.Bmp(200, 100);
        var random = new Random(5);
        for (int i = 54; i < pattern.Length; i += 100) pattern[i] = (byte)random.Next(256);
        File.WriteAllBytes(zipPath, Zips.Make([.. Enumerable.Range(0, 40).Select(i => ($"{(i % 2 == 0 ? "a" : "b")}/{i}.bmp", pattern))]));
        var whole = Assert.Throws<ImportRefusedException>(() => ZipImporter.Extract(zipPath, Path.Combine(_temp.Path, "s2"),
            new ImportLimits(100_000_000, 100, 1_000_000, MaxArchiveCompressionRatio: 20), CancellationToken.None));
        Assert.StartsWith("the zip unpacks to more than 20 times its own size, as a zip bomb does (MaxArchiveCompressionRatio).", whole.Message);
    }

    [Fact]
    public async Task LargePictures_AreStoredDownscaled_AndARunOnThemDecodesSmallImages()
    {
        var uploads = Start();
        // The review's huge-PNG zip made small: 6,300 x 6,300 transparent PNGs become 1,200 x 1,200 (stored entries, so
        // no ratio stops them), beside camera-sized JPEG photos, one small picture that is kept as it came, and one padded
        // with 300 KB after its end, re-encoded to what its pixels need.
        var zip = Zips.Stored(
            ("set/red/0.png", HostilePictures.PngRgba(1200)), ("set/red/1.png", HostilePictures.PngRgba(1100)),
            ("set/blue/0.jpg", HostilePictures.Photo(1600, 1200, SKEncodedImageFormat.Jpeg)), ("set/blue/1.jpg", HostilePictures.Photo(1200, 1600, SKEncodedImageFormat.Jpeg)),
            ("set/blue/2.png", Zips.Png(9, side: 40)), ("set/red/2.png", [.. Zips.Png(200, side: 40), .. new byte[300_000]]));
        var outcome = await Import(uploads, zip, "big", await StudentAsync("Ada"), "10.0.0.1");
        Assert.True(outcome.Accepted, outcome.Message);
        Assert.Contains("4 pictures were larger than runs use and are kept at 256 pixels on their shorter side.", outcome.Message);

        var folder = uploads.FolderOf(outcome.Dataset!);
        var stored = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => { using var b = SKBitmap.Decode(f); return (b.Width, b.Height); });
        Assert.Equal(new Dictionary<string, (int, int)>
        {
            ["red/00000.png"] = (256, 256), ["red/00001.png"] = (256, 256), // drawings stay lossless
            ["blue/00000.jpg"] = (341, 256), ["blue/00001.jpg"] = (256, 341), // photos stay JPEG
            ["blue/00002.png"] = (40, 40), // small enough: as it came
            ["red/00002.png"] = (40, 40),
        }, stored);
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "blue/00002.png")), Zips.Png(9, side: 40));
        Assert.True(new FileInfo(Path.Combine(folder, "red/00002.png")).Length < 10_000);
        Assert.Equal(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length), outcome.Dataset!.Bytes);
        Assert.True(outcome.Dataset.Bytes < 200_000, $"{outcome.Dataset.Bytes} bytes stored");

        // What a run opens is that folder: every picture decodes at most 256 on its shorter side (not 1,200 x 1,200 x 4 bytes).
        var selection = new FolderDataset(folder).Select(6, seed: 1);
        foreach (var sample in selection.Samples)
        {
            using var image = sample.Decode();
            Assert.True(Math.Min(image!.Width, image.Height) <= 256 && Math.Max(image.Width, image.Height) <= 1024, $"{image.Width} x {image.Height}");
        }
        var queue = _factory!.Services.GetRequiredService<IRunQueue>();
        var store = _factory.Services.GetRequiredService<RunStore>();
        var run = await queue.SubmitAsync(new RunSettings { Dataset = "upload:big", Images = 6, Epochs = 1, Device = Training.Compute.DeviceRequest.Cpu }, await StudentAsync("Ada"));
        for (var deadline = DateTime.UtcNow.AddSeconds(60); (await store.GetSummaryAsync(run.RunId))!.Status is not (RunStatus.Completed or RunStatus.Failed) && DateTime.UtcNow < deadline;)
            await Task.Delay(100);
        Assert.Equal(RunStatus.Completed, (await store.GetSummaryAsync(run.RunId))!.Status);
    }

    [Fact]
    public async Task PicturesThatDecodeToMoreThanTheUploadsBudget_AreRefused_AndLeaveNothingBehind()
    {
        var uploads = Start(("LearnDL:Uploads:MaxDecodedMegapixels", "4"));
        // Four 1,100 x 1,100 PNGs decode to 4.8 megapixels to be downscaled: more than this server decodes for one upload.
        var zip = Zips.Stored([.. Enumerable.Range(0, 4).Select(i => ($"{(i % 2 == 0 ? "a" : "b")}/{i}.png", HostilePictures.PngRgba(1100)))]);
        var outcome = await Import(uploads, zip, "huge", await StudentAsync("Mallory"), "10.0.0.66");
        Assert.False(outcome.Accepted);
        Assert.StartsWith("Refused: its pictures are larger than the server decodes for one upload: more than 4 megapixels together (MaxDecodedMegapixels).", outcome.Message);
        await AssertOnlyKept();
    }

    [Fact]
    public async Task Quotas_PerStudentAndPerAddressAcrossNames_CountStoredBytes_AndTheInstructorStillUploads()
    {
        var uploads = Start(("LearnDL:Uploads:QuotaPerOwnerBytes", "700000"), ("LearnDL:Uploads:QuotaPerAddressBytes", "1200000"),
            ("LearnDL:Uploads:QuotaTotalBytes", "3000000"), ("LearnDL:Uploads:InstructorReserveBytes", "1000000"));
        // 480 KB stored: four 200 x 200 BMPs of noise, no larger than runs use, so kept as they came.
        byte[] Zip(int seed) => Zips.Make([.. Enumerable.Range(0, 4).Select(i => ($"{(i % 2 == 0 ? "a" : "b")}/{i}.bmp", Zips.Bmp(200, 200, noise: seed + i)))]);
        const string lab = "10.0.0.7", home = "192.168.1.20";
        var kept = new List<ImportOutcome>();
        async Task Accepted(string name, RunOwner owner, string address)
        {
            var outcome = await Import(uploads, Zip(kept.Count * 10), name, owner, address);
            Assert.True(outcome.Accepted, outcome.Message);
            Assert.Equal(4 * 120_054, outcome.Dataset!.Bytes);
            Assert.Contains("It takes 469 KB on the server", outcome.Message);
            kept.Add(outcome);
        }
        async Task Refused(string name, RunOwner owner, string address, string why)
        {
            var outcome = await Import(uploads, Zip(99), name, owner, address);
            Assert.False(outcome.Accepted);
            Assert.Equal("Refused: " + why, outcome.Message);
        }

        await Accepted("ada-1", await StudentAsync("Ada"), lab);
        await Refused("ada-2", await StudentAsync("Ada"), home, "its pictures, even downscaled, take more than the 0.2 MB left in your QuotaPerOwnerBytes.");
        // One student as many names from one address: the address's quota counts them all.
        await Accepted("sybil-1", await StudentAsync("Sybil1"), lab);
        await Refused("sybil-2", await StudentAsync("Sybil2"), lab, "its pictures, even downscaled, take more than the 0.2 MB left in the QuotaPerAddressBytes of your network address.");
        await Accepted("bob-1", await StudentAsync("Bob"), home); // another address has its own room
        await Accepted("instructor-1", RunOwner.Instructor, lab); // the instructor, from the lab's address too
        // Students together stop short of the instructor's reserve; the instructor does not.
        await Refused("cy-1", await StudentAsync("Cy"), "10.9.9.9", "its pictures, even downscaled, take more than the 0.1 MB left in the students' share of QuotaTotalBytes.");
        await Accepted("instructor-2", RunOwner.Instructor, lab);
        await Refused("dee-1", await StudentAsync("Dee"), "10.9.9.10",
            "the class's uploads already take 2.3 MB, all that students may use (QuotaTotalBytes less InstructorReserveBytes). Ask the instructor to delete some.");
        await AssertOnlyKept([.. kept]);
    }
}

/// <summary>Settings that would only break mid-class fail the start, naming the setting.</summary>
public class UploadAndClassifyOptionsTests
{
    [Fact]
    public void Validate_UploadAndClassifyLimitsOutOfBounds_FailNamingTheSetting()
    {
        var options = new LearnDLOptions();
        options.Uploads.MaxArchiveCompressionRatio = 1;
        options.Uploads.MaxDecodedMegapixels = 0;
        options.Uploads.InstructorReserveBytes = options.Uploads.QuotaTotalBytes;
        options.Classify.MaxConcurrent = 0;
        options.Classify.PerMinute = 0;
        options.Classify.CachedModels = 0;
        options.Classify.MemoryBytes = 1024;
        var failures = new ValidateLearnDLOptions().Validate(null, options).Failures ?? [];
        foreach (var setting in new[] { "Uploads:MaxArchiveCompressionRatio", "Uploads:MaxDecodedMegapixels", "InstructorReserveBytes less than QuotaTotalBytes",
            "Classify:MaxConcurrent", "Classify:Burst and PerMinute", "Classify:CachedModels", "Classify:MemoryBytes" })
            Assert.Contains(failures, f => f.Contains(setting));
        Assert.DoesNotContain(new ValidateLearnDLOptions().Validate(null, new LearnDLOptions()).Failures ?? [], f => f.Contains("Uploads") || f.Contains("Classify"));
    }
}
