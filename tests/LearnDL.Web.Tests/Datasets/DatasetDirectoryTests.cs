using LearnDL.Training.Datasets;
using LearnDL.Web.Datasets;
using SkiaSharp;

namespace LearnDL.Web.Tests;

/// <summary>Dataset information is read from disk once, and again when a dataset folder changes.</summary>
public class DatasetDirectoryTests
{
    private static void WriteClass(string root, string name, int images)
    {
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        for (int i = 0; i < images; i++)
        {
            using var bitmap = new SKBitmap(8, 8);
            bitmap.Erase(new SKColor((byte)(i * 20), 100, 50));
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(folder, $"{i}.png"), data.ToArray());
        }
    }

    [Fact]
    public async Task Describe_IsCached_UntilTheFolderChanges()
    {
        using var temp = new TempFolder();
        var roots = Path.Combine(temp.Path, "folders");
        var flowers = Path.Combine(roots, "flowers");
        WriteClass(flowers, "rose", 3);
        WriteClass(flowers, "tulip", 3);
        var options = new DatasetOptions { DataFolder = temp.Path, FolderRoots = [roots] };
        using var directory = new DatasetDirectory(new DatasetCatalog(options), options);

        var name = "folder:" + flowers;
        Assert.Equal(6, directory.Describe(name).Info!.ImageCount);
        Assert.Contains(directory.List(), d => d.Name == name);

        WriteClass(flowers, "daisy", 4); // the watcher sees the new class and forgets what it knew
        for (var deadline = DateTime.UtcNow.AddSeconds(5); directory.Describe(name).Info!.ImageCount != 10 && DateTime.UtcNow < deadline;)
            await Task.Delay(50);
        Assert.Equal(10, directory.Describe(name).Info!.ImageCount);
        Assert.Equal(3, directory.List().Single(d => d.Name == name).ClassNames.Count);
    }

    [Fact]
    public void Describe_AHundredWaysOfNamingOneFolder_KeepOneEntry()
    {
        using var temp = new TempFolder();
        var roots = Path.Combine(temp.Path, "folders");
        var flowers = Path.Combine(roots, "flowers");
        WriteClass(flowers, "rose", 2);
        WriteClass(flowers, "tulip", 2);
        Directory.CreateSymbolicLink(Path.Combine(roots, "link"), flowers);
        var options = new DatasetOptions { DataFolder = temp.Path, FolderRoots = [roots] };
        using var directory = new DatasetDirectory(new DatasetCatalog(options), options);

        var aliases = Enumerable.Range(0, 100).Select(i => (i % 5) switch
        {
            0 => flowers + string.Concat(Enumerable.Repeat("/.", i)),
            1 => flowers + new string('/', i),
            2 => $"{flowers}/../flowers{string.Concat(Enumerable.Repeat("/.", i))}",
            3 => Path.Combine(roots, "link") + string.Concat(Enumerable.Repeat("/.", i)),
            _ => $"{flowers}/./{new string('/', i)}",
        }).ToList();
        Assert.Equal(100, aliases.Distinct().Count());
        // One description serves every alias: the same object each time (a second entry would be read from disk anew).
        var first = directory.Describe($" folder:{aliases[0]} ").Info!;
        Assert.Equal(4, first.ImageCount);
        foreach (var alias in aliases)
            Assert.Same(first, directory.Describe($" folder:{alias} ").Info);

        var builtin = directory.Describe("builtin").Info!;
        Assert.Same(builtin, directory.Describe("BUILTIN").Info);
        Assert.NotSame(first, builtin);
    }

    [Theory]
    [InlineData("imagenet", "Unknown dataset")]
    [InlineData("folder:/etc", "not one this server offers")]
    [InlineData("folder:", "needs a path")]
    public void Describe_UnusableNames_SayWhy(string name, string problem)
    {
        using var temp = new TempFolder();
        var options = new DatasetOptions { DataFolder = temp.Path, FolderRoots = [Path.Combine(temp.Path, "folders")] };
        using var directory = new DatasetDirectory(new DatasetCatalog(options), options);
        var (info, why) = directory.Describe(name);
        Assert.Null(info);
        Assert.Contains(problem, why);
    }
}
