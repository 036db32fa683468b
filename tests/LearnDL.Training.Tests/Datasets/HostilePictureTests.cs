using System.Diagnostics;
using LearnDL.Testing;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Featurization;
using LearnDL.Training.Runs;
using SkiaSharp;

namespace LearnDL.Training.Tests;

/// <summary>Alone, so the memory these tests measure is theirs and not a parallel run's.</summary>
[CollectionDefinition("memory", DisableParallelization = true)]
public class MemoryCollection;

/// <summary>Pictures are checked before they are decoded: pixel bombs refused from their header, odd formats decoded right, large photos decoded small.</summary>
[Collection("memory")]
public class HostilePictureTests
{
    private const string Bomb30k = "declares 30,000 x 30,000 pixels (900 megapixels); at most 40 megapixels are read (MaxImagePixels).";
    private static readonly long MaxMemory = 100L * 1024 * 1024;

    public static byte[] Make(string name) => name switch
    {
        "png 30000x30000 (4 rows of data)" => HostilePictures.Png(30_000, 30_000),
        "png 30000x30000 (every row)" => HostilePictures.PngBomb(),
        "gif screen 65535x65535" => HostilePictures.Gif(65_535, 65_535, 65_535, 65_535),
        "gif screen 1x1, frame 65535x65535" => HostilePictures.Gif(1, 1, 65_535, 65_535),
        "webp VP8L 16384x16384" => HostilePictures.WebpLossless(16_384, 16_384),
        "webp VP8 16383x16383" => HostilePictures.WebpLossy(16_383, 16_383),
        "webp VP8X canvas 16384x16384" => HostilePictures.WebpCanvas(16_384, 16_384),
        "jpeg SOF 60000x60000" => HostilePictures.JpegDeclaring(60_000, 60_000),
        "png strip 40000x1" => HostilePictures.Png(40_000, 1, bitDepth: 8, rows: 1),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("png 30000x30000 (4 rows of data)", Bomb30k)]
    [InlineData("png 30000x30000 (every row)", Bomb30k)]
    [InlineData("gif screen 65535x65535", "declares 65,535 x 65,535 pixels (4,295 megapixels); at most 40 megapixels are read")]
    [InlineData("gif screen 1x1, frame 65535x65535", "declares 65,535 x 65,535 pixels (4,295 megapixels)")]
    [InlineData("webp VP8L 16384x16384", "declares 16,384 x 16,384 pixels (268 megapixels)")]
    [InlineData("webp VP8 16383x16383", "declares 16,383 x 16,383 pixels (268 megapixels)")]
    [InlineData("webp VP8X canvas 16384x16384", "declares 16,384 x 16,384 pixels (268 megapixels)")]
    [InlineData("jpeg SOF 60000x60000", "declares 60,000 x 60,000 pixels (3,600 megapixels)")]
    [InlineData("png strip 40000x1", "is 40,000 x 1 pixels, one side 40,000 times the other; pictures up to 20:1 are read.")]
    public void PixelBomb_IsRefusedFromItsHeader_QuicklyAndWithoutDecodingIt(string name, string message)
    {
        using var temp = new TempFolder();
        var bytes = Make(name);
        var path = temp.Combine("picture");
        File.WriteAllBytes(path, bytes);

        // From memory (an upload), from a file (a dataset), and the header alone (a zip import).
        var fromMemory = Measured(() => SafeImageDecoder.Default.Decode(bytes));
        var fromFile = Measured(() => new FileImageSample(0, path).Read());
        Assert.Null(fromMemory.Result.Bitmap);
        Assert.Null(fromFile.Result.Bitmap);
        Assert.Contains(message, fromMemory.Result.Problem);
        Assert.Contains(message, fromFile.Result.Problem);
        Assert.Contains(message, SafeImageDecoder.Default.Check(path));
        foreach (var m in new[] { fromMemory, fromFile })
        {
            Assert.True(m.Time < TimeSpan.FromSeconds(1), $"took {m.Time}");
            Assert.True(m.PeakResidentGrowth < MaxMemory, $"resident memory grew by {m.PeakResidentGrowth / 1e6:0} MB");
            Assert.True(m.ManagedAllocated < MaxMemory, $"allocated {m.ManagedAllocated / 1e6:0} MB");
        }
    }

    [Fact]
    public void TheRealPixelBomb_IsSmallOnDisk_AndWouldDecodeToNineHundredMegabytes()
    {
        var bomb = HostilePictures.PngBomb();
        Assert.InRange(bomb.Length, 50_000, 200_000);
        using var codec = SKCodec.Create(SKData.CreateCopy(bomb));
        Assert.Equal((30_000, 30_000, SKColorType.Gray8), (codec.Info.Width, codec.Info.Height, codec.Info.ColorType));
        Assert.Equal(900_000_000, codec.Info.BytesSize64); // what SKBitmap.Decode would allocate and fill, as it did before
    }

    [Theory]
    [InlineData("png", "is cut short: the file ends before its picture does.")]
    [InlineData("jpeg", "is cut short: the file ends before its picture does.")]
    [InlineData("gif", "is cut short: the file ends before its picture does.")]
    [InlineData("webp", "is cut short: the file ends before its picture does.")]
    public void CutShortFile_IsRefused_NotHalfDecoded(string format, string message)
    {
        var whole = format switch
        {
            "png" => HostilePictures.Photo(300, 200, SKEncodedImageFormat.Png),
            "jpeg" => HostilePictures.Photo(300, 200, SKEncodedImageFormat.Jpeg),
            "webp" => HostilePictures.Photo(300, 200, SKEncodedImageFormat.Webp),
            _ => HostilePictures.Gif(64, 64, 64, 64, pixel: (_, x, y) => (x ^ y) % 4),
        };
        var (complete, _) = SafeImageDecoder.Default.Decode(whole);
        using (complete) Assert.NotNull(complete);
        var (bitmap, problem) = SafeImageDecoder.Default.Decode(HostilePictures.CutShort(whole));
        Assert.Null(bitmap);
        Assert.Contains(message, problem);
    }

    [Fact]
    public void NotAPicture_SaysSo()
    {
        var (bitmap, problem) = SafeImageDecoder.Default.Decode("this is not a picture"u8);
        Assert.Null(bitmap);
        Assert.Equal(SafeImageDecoder.NotAPicture, problem);
        Assert.Equal(SafeImageDecoder.NotAPicture, new FileImageSample(0, "/nonexistent/picture.png").Read().Problem);
    }

    [Fact]
    public void SixteenBitPng_DecodesToEightBitColour()
    {
        var (bitmap, problem) = SafeImageDecoder.Default.Decode(HostilePictures.Png16(64, 48));
        using var image = bitmap;
        Assert.Null(problem);
        Assert.Equal((64, 48), (image!.Width, image.Height));
        Assert.Equal(4, image.BytesPerPixel);
        var top = image.GetPixel(10, 0);
        var bottom = image.GetPixel(10, 47);
        Assert.Equal((0, 0, 64), (top.Red, top.Green, top.Blue));
        Assert.Equal((255, 0, 64), (bottom.Red, bottom.Green, bottom.Blue));
    }

    [Fact]
    public void CmykJpeg_DecodesToRgb()
    {
        var (bitmap, problem) = new FileImageSample(0, Path.Combine(AppContext.BaseDirectory, "Fixtures", "cmyk-48x32-red-to-blue.jpg")).Read();
        using var image = bitmap;
        Assert.Null(problem);
        Assert.Equal((48, 32), (image!.Width, image.Height));
        var top = image.GetPixel(24, 0);
        var bottom = image.GetPixel(24, 31);
        Assert.True(top.Red > 240 && top.Blue < 15, $"top is {top}, not red");
        Assert.True(bottom.Blue > 240 && bottom.Red < 15, $"bottom is {bottom}, not blue");
    }

    [Fact]
    public void AnimatedGif_GivesItsFirstFrame()
    {
        var gif = HostilePictures.Gif(8, 8, 8, 8, frames: 3, pixel: (frame, x, _) => (x + frame) % 4);
        using (var codec = SKCodec.Create(SKData.CreateCopy(gif))) Assert.Equal(3, codec.FrameCount);
        var (bitmap, problem) = SafeImageDecoder.Default.Decode(gif);
        using var image = bitmap;
        Assert.Null(problem);
        // Frame 0: colour x % 4 of black, white, red, blue.
        Assert.Equal([SKColors.Black, SKColors.White, SKColors.Red, SKColors.Blue], Enumerable.Range(0, 4).Select(x => image!.GetPixel(x, 5)));
    }

    [Fact]
    public void AnimatedWebp_OfAnHonestSize_GivesItsFrame()
    {
        var (bitmap, problem) = SafeImageDecoder.Default.Decode(HostilePictures.WebpCanvas(8, 8));
        using var image = bitmap;
        Assert.Null(problem);
        Assert.Equal(SKColors.Red, image!.GetPixel(4, 4));
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg, SafeImageDecoder.NetworkSide, 500, 375)] // decoded at an eighth, the smallest at least 224 high
    [InlineData(SKEncodedImageFormat.Jpeg, 48, 128, 96)] // a thumbnail: decoded at an eighth, then shrunk to twice the side asked
    [InlineData(SKEncodedImageFormat.Webp, SafeImageDecoder.NetworkSide, 299, 224)] // WebP decodes at any size
    [InlineData(SKEncodedImageFormat.Png, SafeImageDecoder.NetworkSide, 597, 448)] // PNG cannot scale: decoded whole (within the limit), then shrunk
    public void LargePhoto_ComesBackWithinTwiceTheShortSideAsked_DecodedSmallWhereTheCodecCan(SKEncodedImageFormat format, int needed, int width, int height)
    {
        var photo = HostilePictures.Photo(4000, 3000, format);
        var m = Measured(() => SafeImageDecoder.Default.Decode(photo, needed));
        using var image = m.Result.Bitmap;
        Assert.Null(m.Result.Problem);
        Assert.Equal((width, height), (image!.Width, image.Height));
        Assert.InRange(Math.Min(image.Width, image.Height), needed, 2 * needed);
        if (format != SKEncodedImageFormat.Png)
            Assert.True(m.PeakResidentGrowth < 4000 * 3000 * 4 / 2, $"grew by {m.PeakResidentGrowth / 1e6:0} MB: as much as a full decode");
    }

    [Fact]
    public void ScaledDecoding_GivesTheNetworkNearlyTheSamePixels()
    {
        var photo = HostilePictures.Photo(2400, 1800, SKEncodedImageFormat.Jpeg, quality: 92);
        var (before, after) = NetworkInputs(photo);
        var meanDifference = before.Zip(after, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(meanDifference < 2, $"the network's input differs by {meanDifference:0.00} of 255 on average");
    }

    [Fact]
    public void ShrinkingInTheDecoder_GivesTheNetworkExactlyTheSamePixels()
    {
        var (before, after) = NetworkInputs(HostilePictures.Photo(2400, 1800, SKEncodedImageFormat.Png));
        Assert.Equal(before, after);
    }

    /// <summary>What the network is fed from a picture decoded as before (whole, by SKBitmap.Decode) and as now.</summary>
    private static (float[] Before, float[] After) NetworkInputs(byte[] encoded)
    {
        using var full = SKBitmap.Decode(encoded);
        var (decoded, _) = SafeImageDecoder.Default.Decode(encoded);
        using var small = decoded;
        Assert.True(small!.Width < full.Width);
        var preprocessor = new ImagePreprocessor();
        var before = new float[ResNet18Model.PixelsPerImage];
        var after = new float[ResNet18Model.PixelsPerImage];
        preprocessor.Write(full, before);
        preprocessor.Write(small, after);
        return (before, after);
    }

    [Fact]
    public void LargePicturesDecodedAtOnce_TakeTurnsOnOneThread()
    {
        // 5,000 x 5,000 RGBA: 100 MB each decoded; ten at once on their own threads took 1.3 GB here.
        // Shrinking builds Skia's mipmaps (a third more), and the C allocator keeps some of that per thread.
        var picture = HostilePictures.PngRgba(5_000);
        var m = Measured(() =>
        {
            var threads = Enumerable.Range(0, 10).Select(_ => new Thread(() =>
            {
                var (bitmap, problem) = SafeImageDecoder.Default.Decode(picture);
                using (bitmap) Assert.Equal((448, 448, null), (bitmap?.Width, bitmap?.Height, problem));
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            return threads.Count;
        });
        Assert.True(m.PeakResidentGrowth < 300L * 1024 * 1024, $"resident memory grew by {m.PeakResidentGrowth / 1e6:0} MB");
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, 64, 64)]
    [InlineData(SKEncodedImageFormat.Jpeg, 300, 200)]
    [InlineData(SKEncodedImageFormat.Webp, 448, 600)]
    public void PictureWithinTheLimits_DecodesExactlyAsBefore(SKEncodedImageFormat format, int width, int height)
    {
        var bytes = HostilePictures.Photo(width, height, format);
        using var before = SKBitmap.Decode(bytes);
        var (bitmap, problem) = SafeImageDecoder.Default.Decode(bytes);
        using var after = bitmap;
        Assert.Null(problem);
        Assert.Equal((before.Width, before.Height, before.ColorType, before.AlphaType), (after!.Width, after.Height, after.ColorType, after.AlphaType));
        Assert.Equal(before.Bytes, after.Bytes);
    }

    [Fact]
    public void PixelLimit_IsConfigurable_AndReachesFolderDatasets()
    {
        using var temp = new TempFolder();
        TestData.WriteFolderDataset(temp.Combine("set"), new Dictionary<string, SKColor> { ["red"] = SKColors.Red, ["blue"] = SKColors.Blue }, 2);
        File.WriteAllBytes(temp.Combine("set", "red", "big.png"), HostilePictures.Photo(1200, 1000, SKEncodedImageFormat.Png));
        var big = new FileImageSample(0, temp.Combine("set", "red", "big.png"));
        using (var decoded = big.Decode()) Assert.NotNull(decoded); // 1.2 megapixels: fine by default

        var catalog = new DatasetCatalog(new DatasetOptions { DataFolder = temp.Path, MaxImagePixels = 1_000_000 });
        var samples = catalog.Open("folder:" + temp.Combine("set")).Select(5, 1).Samples;
        var problems = samples.Select(s => { var (b, p) = s.Read(); b?.Dispose(); return p; }).ToList();
        Assert.Equal(4, problems.Count(p => p is null));
        Assert.Contains("declares 1,200 x 1,000 pixels (1.2 megapixels); at most 1 megapixel is read", problems.Single(p => p is not null));
    }

    [Fact]
    public async Task Run_OverAFolderWithPixelBombs_SkipsAndCountsThem()
    {
        using var temp = new TempFolder();
        var root = temp.Combine("bombed");
        TestData.WriteFolderDataset(root, new Dictionary<string, SKColor> { ["red"] = SKColors.Red, ["blue"] = SKColors.Blue }, 6);
        File.WriteAllBytes(Path.Combine(root, "red", "bomb.png"), HostilePictures.PngBomb());
        File.WriteAllBytes(Path.Combine(root, "blue", "bomb.jpg"), HostilePictures.JpegDeclaring(60_000, 60_000));
        var engine = new RunEngine(TestData.Catalog(temp.Path), new DeviceProbe());
        var result = await engine.RunAsync(new RunOptions { Dataset = "folder:" + root, Images = 14, Epochs = 1, Device = DeviceRequest.Cpu });
        // Before, the PNG (a valid file) was decoded to 900 MB and featurized, so only the JPEG was skipped.
        Assert.Equal(2, result.SkippedFiles);
        Assert.Equal(12, result.Images);
        Assert.Contains(result.Skipped, s => s.Source.EndsWith("bomb.png") && s.Reason.Contains("30,000 x 30,000 pixels"));
    }

    [Fact]
    public void CanonicalName_IsOneForEveryWayOfWritingAFolder()
    {
        using var temp = new TempFolder();
        var folder = temp.Combine("x");
        Directory.CreateDirectory(folder);
        Directory.CreateSymbolicLink(temp.Combine("link"), folder);
        var names = new[] { folder, folder + "/", folder + "/././.", folder + "//", temp.Path + "/x/../x", temp.Combine("link") };
        Assert.Single(names.Select(n => DatasetCatalog.CanonicalName(" folder:" + n)).Distinct());
        Assert.Equal("builtin", DatasetCatalog.CanonicalName(" BuiltIn "));
    }

    private sealed record Measurement<T>(T Result, TimeSpan Time, long PeakResidentGrowth, long ManagedAllocated);

    /// <summary>Runs <paramref name="action"/> while another thread samples the process's resident memory every millisecond.</summary>
    private static Measurement<T> Measured<T>(Func<T> action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = ResidentBytes();
        long peak = before;
        var done = false;
        var sampler = new Thread(() => { while (!Volatile.Read(ref done)) { peak = Math.Max(peak, ResidentBytes()); Thread.Sleep(1); } }) { IsBackground = true };
        sampler.Start();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var result = action();
        var time = clock.Elapsed;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Volatile.Write(ref done, true);
        sampler.Join();
        return new(result, time, Math.Max(peak, ResidentBytes()) - before, allocated);
    }

    private static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Replace("kB", "").Trim()) * 1024;
        throw new InvalidOperationException("No VmRSS in /proc/self/status.");
    }

    [Fact]
    public void Measure_SaysFromTheHeaderWhatADecodeWouldTake_WithoutDecoding()
    {
        var decoder = SafeImageDecoder.Default;
        // A 4,000 x 3,000 JPEG decodes at an eighth (its DCT scale) for the network; a PNG cannot scale in its codec.
        var (decoded, declared, lossy, problem) = decoder.Measure(HostilePictures.Photo(4000, 3000, SKEncodedImageFormat.Jpeg));
        Assert.Equal(((500, 375), (4000, 3000), true, (string?)null), ((decoded.Width, decoded.Height), (declared.Width, declared.Height), lossy, problem));
        (decoded, declared, lossy, problem) = decoder.Measure(HostilePictures.PngRgba(1200), 256);
        Assert.Equal(((1200, 1200), (1200, 1200), false, (string?)null), ((decoded.Width, decoded.Height), (declared.Width, declared.Height), lossy, problem));
        Assert.EndsWith(Bomb30k, decoder.Measure(HostilePictures.PngBomb()).Problem);
        Assert.Equal(SafeImageDecoder.NotAPicture, decoder.Measure("not a picture"u8).Problem);
    }
}
