using LearnDL.Training.Runs;
using System.IO.Compression;
using LearnDL.Web.Data;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace LearnDL.Web.Tests.Class;

/// <summary>Zips built by the test, as an attacker or a careless student would make them.</summary>
public static class Zips
{
    public static byte[] Png(byte shade, int side = 24)
    {
        using var bitmap = new SKBitmap(side, side);
        bitmap.Erase(new SKColor(shade, (byte)(255 - shade), 90));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A zip with these entries (name, bytes); an entry named with "->" is a symbolic link to the right side.</summary>
    public static byte[] Make(params (string Name, byte[] Content)[] entries) => Make(CompressionLevel.Optimal, entries);

    /// <summary>A zip whose entries are stored, not compressed: whatever they hold, they unpack to their packed size.</summary>
    public static byte[] Stored(params (string Name, byte[] Content)[] entries) => Make(CompressionLevel.NoCompression, entries);

    /// <summary>
    /// A 24-bit BMP of <paramref name="width"/> x <paramref name="height"/>, its pixels zeros (black) or, with a seed, noise:
    /// the review's bomb was 501 zero-filled 590 x 590 BMPs of 1,045,534 bytes, each just under the size where ratios were checked.
    /// </summary>
    public static byte[] Bmp(int width, int height, int? noise = null)
    {
        var stride = (width * 3 + 3) & ~3;
        var bytes = new byte[54 + stride * height];
        using (var header = new BinaryWriter(new MemoryStream(bytes)))
        {
            header.Write((byte)'B'); header.Write((byte)'M'); header.Write(bytes.Length); header.Write(0); header.Write(54);
            header.Write(40); header.Write(width); header.Write(height); header.Write((short)1); header.Write((short)24);
            header.Write(0); header.Write(stride * height); header.Write(2835); header.Write(2835); header.Write(0); header.Write(0);
        }
        if (noise is { } seed) new Random(seed).NextBytes(bytes.AsSpan(54));
        return bytes;
    }

    private static byte[] Make(CompressionLevel level, (string Name, byte[] Content)[] entries)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, content) in entries)
            {
                var parts = name.Split(" -> ");
                var entry = zip.CreateEntry(parts[0], level);
                if (parts.Length == 2) entry.ExternalAttributes = unchecked((int)(0xA1FFu << 16)); // S_IFLNK | 0777
                using var stream = entry.Open();
                stream.Write(parts.Length == 2 ? System.Text.Encoding.UTF8.GetBytes(parts[1]) : content);
            }
        return memory.ToArray();
    }

    /// <summary>Two classes of three pictures each, inside one top folder, the way zipping a folder makes them.</summary>
    public static byte[] Good(string top = "shapes") => Make(
        [.. Enumerable.Range(0, 3).Select(i => ($"{top}/red/r{i}.png", Png((byte)(200 + i)))),
         .. Enumerable.Range(0, 3).Select(i => ($"{top}/blue/b{i}.png", Png((byte)(20 + i))))]);
}

public sealed class UploadFixture : IDisposable
{
    public TempFolder Temp { get; } = new();
    public LearnDLFactory Factory { get; }

    public UploadFixture()
    {
        Factory = new LearnDLFactory(Temp.Path,
            ("LearnDL:Uploads:MaxZipBytes", "3000000"), ("LearnDL:Uploads:MaxUnpackedBytes", "2000000"),
            ("LearnDL:Uploads:MaxEntries", "50"), ("LearnDL:Uploads:QuotaPerOwnerBytes", "1900000"));
        _ = Factory.CreateClient(); // starts the host
    }

    public UploadedDatasets Uploads => Factory.Services.GetRequiredService<UploadedDatasets>();
    public string Root => Path.Combine(Temp.Path, "uploads");

    public void Dispose()
    {
        Factory.Dispose();
        Temp.Dispose();
    }
}

/// <summary>Dataset uploads: what a class may bring, and what is refused at the door with nothing left behind.</summary>
public class UploadTests(UploadFixture f) : IClassFixture<UploadFixture>
{
    private static readonly RunOwner Owner = RunOwner.NewLearner();

    private async Task<ImportOutcome> Import(byte[] zip, string name, RunOwner? owner = null) =>
        await f.Uploads.ImportAsync(new MemoryStream(zip), zip.Length, name, owner ?? Owner);

    private async Task AssertNothingLeftBehind(string name)
    {
        var leftovers = Directory.Exists(f.Root) ? Directory.EnumerateFileSystemEntries(f.Root).Where(e => !Known(e)).ToList() : [];
        Assert.True(leftovers.Count == 0, "left behind: " + string.Join(", ", leftovers));
        await using var db = await f.Factory.Services.GetRequiredService<IDbContextFactory<LearnDbContext>>().CreateDbContextAsync();
        Assert.False(await db.UploadedDatasets.AnyAsync(d => d.Name == name));
    }

    /// <summary>Folders of datasets other tests of this class imported on purpose.</summary>
    private bool Known(string entry) => Guid.TryParse(Path.GetFileName(entry), out var id) &&
        f.Uploads.VisibleToAsync(null).GetAwaiter().GetResult().Any(d => d.Id == id);

    public static TheoryData<string, byte[], string> Hostile => new()
    {
        { "zip-slip", Zips.Make(("a/x.png", Zips.Png(1)), ("../../evil.png", Zips.Png(2))), "tries to leave its folder" },
        { "zip-slip-deep", Zips.Make(("a/../../b/evil.png", Zips.Png(2))), "tries to leave its folder" },
        { "absolute", Zips.Make(("/etc/cron.d/evil", Zips.Png(2))), "absolute path" },
        { "drive-letter", Zips.Make(("C:/Windows/evil.png", Zips.Png(2))), "absolute path" },
        { "backslashes", Zips.Make(("a\\..\\..\\evil.png", Zips.Png(2))), "backslashes" },
        { "symlink", Zips.Make(("a/link.png -> /etc/passwd", [])), "symbolic link" },
        { "nested", Zips.Make(("a/x.png", Zips.Png(1)), ("b/more.zip", Zips.Good())), "another archive" },
        { "bomb-ratio", Zips.Make(("a/zeros.png", new byte[1_500_000]), ("b/x.png", Zips.Png(1))), "zip bomb" },
        { "bomb-total", Zips.Make([.. Enumerable.Range(0, 3).Select(i => ($"a/big{i}.bmp", Noise(700_000, i)))]), "unpacks to more than" },
        { "too-many-entries", Zips.Make([.. Enumerable.Range(0, 60).Select(i => ($"a/{i}.png", Zips.Png(1)))]), "at most 50 are accepted" },
        { "one-class", Zips.Make(("only/a.png", Zips.Png(1)), ("only/b.png", Zips.Png(2))), "at least two classes" },
        { "lonely-image", Zips.Make(("a/1.png", Zips.Png(1)), ("a/2.png", Zips.Png(2)), ("b/1.png", Zips.Png(3))), "b has only one" },
        { "bad-class-name", Zips.Make(("<script>/1.png", Zips.Png(1)), ("b/1.png", Zips.Png(2))), "has a name LearnDL cannot use" },
        { "not-a-zip", "this is a text file, not a zip"u8.ToArray(), "not a zip archive" },
        { "no-images", Zips.Make(("a/1.txt", "hello"u8.ToArray()), ("b/2.txt", "world"u8.ToArray())), "at least two classes" },
    };

    private static byte[] Noise(int bytes, int seed)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task HostileZip_IsRefusedWithTheReason_AndLeavesNothingBehind(string name, byte[] zip, string reason)
    {
        var outcome = await Import(zip, name);
        Assert.False(outcome.Accepted);
        Assert.StartsWith("Refused:", outcome.Message);
        Assert.Contains(reason, outcome.Message);
        await AssertNothingLeftBehind(name);
        Assert.False(File.Exists(Path.Combine(f.Temp.Path, "evil.png")));
    }

    [Fact]
    public async Task Upload_OverTheSizeLimitOrWithABadName_IsRefusedBeforeReadingIt()
    {
        Assert.Contains("MaxZipBytes", (await f.Uploads.ImportAsync(new MemoryStream(new byte[10]), 3_500_000, "big", Owner)).Message);
        var lying = Noise(3_100_000, 1);
        Assert.Contains("MaxZipBytes", (await f.Uploads.ImportAsync(new MemoryStream(lying), 1_000, "lying-length", Owner)).Message); // longer than it said
        Assert.Contains("Use letters, digits", (await Import(Zips.Good(), "../../etc")).Message);
        Assert.Contains("built-in dataset", (await Import(Zips.Good(), "builtin")).Message);
        Assert.Equal("Refused: give the dataset a name.", (await Import(Zips.Good(), "   ")).Message);
        await AssertNothingLeftBehind("lying-length");
    }

    [Fact]
    public async Task GoodZip_IsImportedUnderGeneratedNames_SkipsNonImages_RefusesItsNameTwice_AndRunsLikeAnyDataset()
    {
        var zip = Zips.Make([.. Enumerable.Range(0, 4).Select(i => ($"flowers/rose/r{i}.png", Zips.Png((byte)(200 + i)))),
            .. Enumerable.Range(0, 4).Select(i => ($"flowers/tulip/t{i}.png", Zips.Png((byte)(30 + i)))),
            ("flowers/tulip/notes.txt", "not a picture"u8.ToArray()), ("flowers/rose/fake.png", "not a picture either"u8.ToArray())]);
        var outcome = await Import(zip, "Flowers");
        Assert.True(outcome.Accepted, outcome.Message);
        Assert.StartsWith("Imported Flowers: 2 classes (rose, tulip), 8 images. 2 files were skipped: 2 were not pictures in a class folder.", outcome.Message);
        var folder = f.Uploads.FolderOf(outcome.Dataset!);
        Assert.StartsWith(f.Root, folder);
        Assert.Equal(["00000.png", "00001.png", "00002.png", "00003.png"], Directory.GetFiles(Path.Combine(folder, "rose")).Select(Path.GetFileName).Order());

        Assert.Contains("already exists", (await Import(Zips.Good(), "flowers")).Message); // names are case-insensitive

        var queue = f.Factory.Services.GetRequiredService<IRunQueue>();
        var store = f.Factory.Services.GetRequiredService<RunStore>();
        var run = await queue.SubmitAsync(new RunSettings { Dataset = "upload:Flowers", Images = 8, Epochs = 1, Device = Training.Compute.DeviceRequest.Cpu }, Owner);
        for (var deadline = DateTime.UtcNow.AddSeconds(60); (await store.GetSummaryAsync(run.RunId))!.Status is not (RunStatus.Completed or RunStatus.Failed) && DateTime.UtcNow < deadline;)
            await Task.Delay(100);
        var summary = (await store.GetSummaryAsync(run.RunId))!;
        Assert.Equal(RunStatus.Completed, summary.Status);
        Assert.Equal("upload:Flowers", summary.Dataset); // the record names the upload, never the server's folder

        Assert.True(await f.Uploads.DeleteAsync(outcome.Dataset!.Id, Owner));
        Assert.False(Directory.Exists(folder));
        Assert.Contains("Unknown dataset", (await queue.CheckAsync(new RunSettings { Dataset = "upload:Flowers", Images = 8 }, Owner))[0]);
    }

    [Fact]
    public async Task Quota_OfOnePerson_IsCheckedWhileUnpacking_AndNamed()
    {
        var someone = RunOwner.NewLearner();
        // Ten 256 x 256 pictures of noise, stored as they came (no larger than runs use): 1.97 MB of the 1.9 MB quota.
        var zip = Zips.Make([.. Enumerable.Range(0, 10).Select(i => ($"{(i < 5 ? "a" : "b")}/{i}.bmp", Zips.Bmp(256, 256, noise: 10 + i)))]);
        var outcome = await Import(zip, "quota-test", someone);
        Assert.False(outcome.Accepted);
        Assert.Contains("QuotaPerOwnerBytes", outcome.Message);
        await AssertNothingLeftBehind("quota-test");
    }
}
