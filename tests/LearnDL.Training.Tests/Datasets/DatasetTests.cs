using LearnDL.Training.Datasets;
using SkiaSharp;

namespace LearnDL.Training.Tests;

public class DatasetTests
{
    [Fact]
    public void Builtin_Select_IsStratifiedReproducibleAndCachedOnDisk()
    {
        using var temp = new TempFolder();
        var dataset = TestData.Catalog(temp.Path).Open("builtin");
        var first = dataset.Select(25, seed: 4);
        var again = dataset.Select(25, seed: 4);

        Assert.Equal(5, first.ClassNames.Count);
        Assert.Equal(25, first.Samples.Count);
        Assert.All(first.ClassNames.Select((_, c) => first.Samples.Count(s => s.ClassIndex == c)), n => Assert.Equal(5, n));
        Assert.Equal(first.Samples.Select(s => s.Source), again.Samples.Select(s => s.Source));
        Assert.All(first.Samples, s => Assert.StartsWith(temp.Path, s.Source));
        using var image = first.Samples[0].Decode();
        Assert.NotNull(image);
        Assert.Equal(AerialTileGenerator.Size, image.Width);
    }

    [Fact]
    public void Builtin_Tiles_DifferBetweenClasses()
    {
        // Mean colour alone already separates water (blue) from forest (green): the classes are learnable.
        static SKColor Mean(int c)
        {
            using var b = AerialTileGenerator.Draw(c, 0);
            var px = b.Pixels;
            return new SKColor((byte)px.Average(p => p.Red), (byte)px.Average(p => p.Green), (byte)px.Average(p => p.Blue));
        }
        var water = Mean(0);
        var forest = Mean(1);
        Assert.True(water.Blue > water.Green);
        Assert.True(forest.Green > forest.Blue);
    }

    [Fact]
    public void Builtin_MoreThanTenThousand_IsRefused()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<DatasetException>(() => TestData.Catalog(temp.Path).Open("builtin").Select(10_001, 1));
        Assert.Contains("10,000", error.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void IdxReader_ReadsRawAndGzipFiles(bool gzip)
    {
        using var temp = new TempFolder();
        TestData.WriteIdx(temp.Path, count: 30, classes: 10, gzip);
        var suffix = gzip ? ".gz" : "";
        var images = IdxReader.ReadImages(temp.Combine("train-images-idx3-ubyte" + suffix));
        var labels = IdxReader.ReadLabels(temp.Combine("train-labels-idx1-ubyte" + suffix));

        Assert.Equal((30, 28, 28), (images.Count, images.Rows, images.Columns));
        Assert.Equal(30, labels.Length);
        Assert.Equal(7, labels[17]);
        Assert.All(images.Image(17), p => Assert.Equal(17, p));
    }

    [Fact]
    public void IdxReader_TruncatedOrWrongFile_SaysSo()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.Combine("bad"), [0, 0, 8, 3, 0, 0]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(temp.Combine("bad"))).Message);
        File.WriteAllText(temp.Combine("text"), "hello world, not idx");
        Assert.Contains("not an IDX", Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(temp.Combine("text"))).Message);
    }

    [Fact]
    public void FashionMnist_FromConfiguredFolder_HasRealClassNamesAndStratifiedSubsets()
    {
        using var temp = new TempFolder();
        TestData.WriteIdx(temp.Combine("fm"), count: 200, classes: 10, gzip: true);
        var catalog = TestData.Catalog(temp.Path, temp.Combine("fm"));
        var info = catalog.List().Single(d => d.Name == "fashion-mnist");
        Assert.True(info.Available);
        Assert.Equal(200, info.ImageCount);
        Assert.Equal("T-shirt/top", info.ClassNames[0]);
        Assert.Equal("Ankle boot", info.ClassNames[9]);

        var selection = catalog.Open("fashion-mnist").Select(50, seed: 9);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(5, selection.Samples.Count(s => s.ClassIndex == c)));
        Assert.Equal(selection.Samples.Select(s => s.Source), catalog.Open("fashion-mnist").Select(50, seed: 9).Samples.Select(s => s.Source));
        Assert.NotEqual(selection.Samples.Select(s => s.Source), catalog.Open("fashion-mnist").Select(50, seed: 10).Samples.Select(s => s.Source));
        using var image = selection.Samples[0].Decode();
        Assert.Equal(28, image!.Width);
    }

    [Fact]
    public void FashionMnist_Missing_IsUnavailableWithInstallHint()
    {
        using var temp = new TempFolder();
        var catalog = TestData.Catalog(temp.Path, temp.Combine("nowhere"));
        var info = catalog.List().Single(d => d.Name == "fashion-mnist");
        Assert.False(info.Available);
        Assert.Contains("apt-get install dataset-fashion-mnist", info.UnavailableReason);
        Assert.Contains("apt-get install dataset-fashion-mnist", Assert.Throws<DatasetException>(() => catalog.Open("fashion-mnist")).Message);
    }

    [Fact]
    public void Folder_ListsClassesAndCounts()
    {
        using var temp = new TempFolder();
        TestData.WriteFolderDataset(temp.Combine("colours"), new Dictionary<string, SKColor> { ["red"] = SKColors.Red, ["blue"] = SKColors.Blue }, 4);
        File.WriteAllText(temp.Combine("colours", "red", "notes.txt"), "not an image, not counted");
        var info = new FolderDataset(temp.Combine("colours")).Info;
        Assert.True(info.Available);
        Assert.Equal(["blue", "red"], info.ClassNames);
        Assert.Equal(8, info.ImageCount);
    }

    [Fact]
    public void Folder_EmptyOrOneClass_IsRefusedWithClearMessage()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Combine("empty"));
        TestData.WriteFolderDataset(temp.Combine("one"), new Dictionary<string, SKColor> { ["red"] = SKColors.Red }, 3);
        var catalog = TestData.Catalog(temp.Path);

        Assert.Contains("no images", Assert.Throws<DatasetException>(() => catalog.Open("folder:" + temp.Combine("empty")).Select(10, 1)).Message);
        Assert.Contains("only one class", Assert.Throws<DatasetException>(() => catalog.Open("folder:" + temp.Combine("one")).Select(10, 1)).Message);
        Assert.Contains("does not exist", Assert.Throws<DatasetException>(() => catalog.Open("folder:" + temp.Combine("missing")).Select(10, 1)).Message);
    }

    [Fact]
    public void Catalog_UnknownName_IsRefused()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<DatasetException>(() => TestData.Catalog(temp.Path).Open("imagenet"));
        Assert.Contains("Unknown dataset 'imagenet'", error.Message);
    }

    [Fact]
    public void Catalog_FolderOutsideAllowedRoots_IsRefused()
    {
        using var temp = new TempFolder();
        var root = temp.Combine("allowed");
        TestData.WriteFolderDataset(temp.Combine("allowed", "ok"), new Dictionary<string, SKColor> { ["a"] = SKColors.Red, ["b"] = SKColors.Blue }, 2);
        TestData.WriteFolderDataset(temp.Combine("secret"), new Dictionary<string, SKColor> { ["a"] = SKColors.Red, ["b"] = SKColors.Blue }, 2);
        Directory.CreateSymbolicLink(temp.Combine("allowed", "link"), temp.Combine("secret"));
        var catalog = TestData.Catalog(temp.Path, null, root);

        Assert.Contains(catalog.List(), d => d.Name == "folder:" + temp.Combine("allowed", "ok"));
        Assert.IsType<FolderDataset>(catalog.Open("folder:" + temp.Combine("allowed", "ok")));
        Assert.Contains("outside the allowed", Assert.Throws<DatasetException>(() => catalog.Open("folder:" + temp.Combine("secret"))).Message);
        Assert.Contains("outside the allowed", Assert.Throws<DatasetException>(() => catalog.Open("folder:" + root + "/../secret")).Message);
        Assert.Contains("outside the allowed", Assert.Throws<DatasetException>(() => catalog.Open("folder:" + temp.Combine("allowed", "link"))).Message);
    }

    [Fact]
    public void StratifiedSampler_Split_HoldsOutEachClassProportionally()
    {
        var labels = Enumerable.Range(0, 100).Select(i => i % 4).ToArray();
        var (train, test) = StratifiedSampler.Split(labels, 0.2, seed: 1);
        Assert.Equal(80, train.Count);
        Assert.Equal(20, test.Count);
        Assert.Empty(train.Intersect(test));
        Assert.All(Enumerable.Range(0, 4), c => Assert.Equal(5, test.Count(i => labels[i] == c)));
    }
}

public class AerialTileGeneratorTests
{
    private static string Digest(int c, int i)
    {
        using var tile = AerialTileGenerator.Draw(c, i);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(tile.Bytes))[..16];
    }

    [Fact]
    public void Draw_IsTheSameInEveryProcess()
    {
        // Pinned: a seed that changed per process (HashCode.Combine does) would break this.
        Assert.Equal(Digest(2, 5), Digest(2, 5));
        Assert.Equal("B30F02E5DA0DA774", Digest(2, 5));
    }
}
