using System.Threading.Channels;
using LearnDL.Testing;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Featurization;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace LearnDL.Training.Tests;

/// <summary>Issue 13: preparation on several threads, the vectorised resize, scaled decoding, and the fused, bound network.</summary>
public class PreparationTests
{
    private const int Plane = ResNet18Model.InputSize * ResNet18Model.InputSize;

    public static TheoryData<string> Pictures => ["tile rgba 64", "tile bgra 64", "gray 28", "rgba 400x300", "rgb565 50x70", "rgba 448x500"];

    [Theory]
    [MemberData(nameof(Pictures))]
    public void VectorisedResize_EqualsTheScalarFormula(string picture)
    {
        using var image = Picture(picture);
        var expected = ScalarReference.Planes(image);
        var actual = new float[ResNet18Model.PixelsPerImage];
        new ImagePreprocessor().Write(image, actual);
        // Stated tolerance: 1e-4 of a level (of 255). The same operations in the same order give equal floats.
        Assert.All(Enumerable.Range(0, actual.Length), i => Assert.Equal(expected[i], actual[i], 1e-4f));
    }

    [Fact]
    public void OnePreprocessor_ReusedAcrossSizes_KeepsNoRowsFromThePreviousImage()
    {
        var preprocessor = new ImagePreprocessor();
        var planes = new float[ResNet18Model.PixelsPerImage];
        using (var first = Picture("rgba 400x300")) preprocessor.Write(first, planes);
        using var second = Picture("tile rgba 64");
        preprocessor.Write(second, planes);
        Assert.Equal(ScalarReference.Planes(second), planes);
    }

    [Fact]
    public void ScaledDecode_OfA12MegapixelJpeg_GivesTheNetworkWhatAFullDecodeAndShrinkGave()
    {
        var photo = HostilePictures.Photo(4000, 3000, SKEncodedImageFormat.Jpeg, quality: 92);
        var (decoded, problem) = SafeImageDecoder.Default.Decode(photo);
        using var scaled = decoded;
        Assert.Null(problem);
        Assert.Equal((500, 375), (scaled!.Width, scaled.Height)); // DCT-scaled by an eighth, never decoded whole

        using var full = SKBitmap.Decode(photo);
        var before = ScalarReference.Planes(full); // what the engine fed the network from a whole decode
        var after = new float[ResNet18Model.PixelsPerImage];
        new ImagePreprocessor().Write(scaled, after);
        var meanDifference = before.Zip(after, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(meanDifference < 2, $"the network's input differs by {meanDifference:0.00} of 255 on average");
    }

    [Fact]
    public void ScaledDecode_StillRefusesAJpegDeclaringTooManyPixels()
    {
        // 48 megapixels declared: an eighth would be small, but the header is judged before any scaling.
        var (bitmap, problem) = SafeImageDecoder.Default.Decode(HostilePictures.JpegDeclaring(8_000, 6_000));
        Assert.Null(bitmap);
        Assert.Contains("declares 8,000 x 6,000 pixels", problem);
    }

    [Fact]
    public async Task SeveralPreparers_FinishingOutOfOrder_KeepEveryImageWithItsSample()
    {
        // Sample 0 waits until a later batch has arrived, so batch 0 is finished last; 7 and 13 cannot be read.
        using var laterBatchArrived = new ManualResetEventSlim();
        var samples = Enumerable.Range(0, 23).Select(i => (ImageSample)new Coded(i, DelayMs: i % 3, Broken: i is 7 or 13,
            WaitFor: i == 0 ? laterBatchArrived : null)).ToList();
        var free = Channel.CreateBounded<PreparedBatch<PixelArray>>(4);
        var ready = Channel.CreateBounded<PreparedBatch<PixelArray>>(4);
        for (int i = 0; i < 4; i++) free.Writer.TryWrite(new PreparedBatch<PixelArray>(new PixelArray(5)));
        var preparing = new PreparationLine<PixelArray>(samples, 5).RunAsync(4, free.Reader, ready.Writer, CancellationToken.None);

        var arrived = new List<int>();
        var kept = new List<int>();
        var skipped = new List<int>();
        await foreach (var batch in ready.Reader.ReadAllAsync())
        {
            arrived.Add(batch.Indices.Concat(batch.Skipped.Select(s => s.Index)).Min());
            if (arrived[^1] > 0) laterBatchArrived.Set();
            for (int i = 0; i < batch.Count; i++)
                Assert.Equal(batch.Indices[i], Coded.Decode(batch.Memory.Pixels.Slice(i * ResNet18Model.PixelsPerImage, ResNet18Model.PixelsPerImage)));
            Assert.Equal(batch.Indices.Order(), batch.Indices);
            kept.AddRange(batch.Indices);
            Assert.All(batch.Skipped, s => Assert.Equal($"sample {s.Index}", s.Image.Source));
            skipped.AddRange(batch.Skipped.Select(s => s.Index));
            free.Writer.TryWrite(batch);
        }
        await preparing;

        Assert.NotEqual(arrived.Order(), arrived); // batches did leave out of order
        Assert.Equal(Enumerable.Range(0, 23).Except([7, 13]), kept.Order());
        Assert.Equal([7, 13], skipped.Order());
    }

    [Fact]
    public async Task APreparerFailing_FailsTheRunWithItsOwnException()
    {
        var samples = Enumerable.Range(0, 12).Select(i => (ImageSample)new Coded(i, 1, false, Throws: i == 5)).ToList();
        var free = Channel.CreateBounded<PreparedBatch<PixelArray>>(3);
        var ready = Channel.CreateBounded<PreparedBatch<PixelArray>>(3);
        for (int i = 0; i < 3; i++) free.Writer.TryWrite(new PreparedBatch<PixelArray>(new PixelArray(4)));
        var preparing = new PreparationLine<PixelArray>(samples, 4).RunAsync(3, free.Reader, ready.Writer, CancellationToken.None);
        var error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var batch in ready.Reader.ReadAllAsync()) free.Writer.TryWrite(batch);
        });
        Assert.Equal("disk gone", error.Message);
        await preparing;
    }

    [Fact]
    public async Task FeatureExtractor_WithSeveralPreparers_GivesTheSameRowsAsWithOne()
    {
        using var temp = new TempFolder();
        var root = temp.Combine("mixed");
        TestData.WriteFolderDataset(root, new Dictionary<string, SKColor> { ["red"] = SKColors.Red, ["blue"] = SKColors.Blue }, 7);
        File.WriteAllText(Path.Combine(root, "red", "broken.png"), "not a picture");
        var samples = new FolderDataset(root).Select(15, 1).Samples;
        using var model = new ResNet18Model(ComputeDevice.Cpu, threads: 1);

        var one = await new FeatureExtractor(model, 4, new FeaturizeParallelism(1, 1, Preparers: 1)).RunAsync(samples, null, CancellationToken.None);
        var three = await new FeatureExtractor(model, 4, new FeaturizeParallelism(2, 1, Preparers: 3)).RunAsync(samples, null, CancellationToken.None);

        Assert.Equal(14, one.Count);
        Assert.Equal(one.SampleIndices, three.SampleIndices);
        Assert.Equal(one.Skipped, three.Skipped);
        for (int i = 0; i < one.Features.Length; i++) Assert.Equal(one.Features[i], three.Features[i], 1e-4f);
    }

    [Fact]
    public void FusedBoundNetwork_GivesTheFeaturesOfTheTwoSessionsItReplaced()
    {
        var pixels = new float[5 * ResNet18Model.PixelsPerImage];
        var preprocessor = new ImagePreprocessor();
        for (int i = 0; i < 5; i++)
        {
            using var tile = AerialTileGenerator.Draw(i, 3);
            preprocessor.Write(tile, pixels.AsSpan(i * ResNet18Model.PixelsPerImage, ResNet18Model.PixelsPerImage));
        }
        var expected = TwoSessions(pixels, 5);

        using var model = new ResNet18Model(ComputeDevice.Cpu, threads: 1);
        using var batch = model.CreateBatch(8);
        pixels.CopyTo(batch.Pixels);
        model.Featurize(batch, 5); // a partly filled batch: a smaller tensor over the bound memory
        AssertClose(expected, batch.Features[..expected.Length]);
        pixels.AsSpan(0, 3 * ResNet18Model.PixelsPerImage).CopyTo(batch.Pixels);
        pixels.AsSpan(0, 5 * ResNet18Model.PixelsPerImage).CopyTo(batch.Pixels[(3 * ResNet18Model.PixelsPerImage)..]);
        model.Featurize(batch, 8); // a full one: the whole bound tensor
        AssertClose(expected, batch.Features.Slice(3 * ResNet18Model.FeatureCount, expected.Length));

        var unbound = new float[expected.Length];
        model.Featurize(pixels, 5, unbound);
        AssertClose(expected, unbound);
    }

    [Fact]
    public void GraphFusion_RefusesGraphsThatShareANameTheyDoNotHandOver()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        var prep = File.ReadAllBytes(folder);
        var error = Assert.Throws<InvalidDataException>(() => OnnxGraphFusion.Chain(prep, prep));
        Assert.Contains("Both ONNX graphs use the name", error.Message);
    }

    [Theory]
    [InlineData("cpu", 2, 2, 1, 1)]  // the network takes both cores; one preparer is plenty
    [InlineData("cpu", 1, 1, 1, 1)]
    [InlineData("cpu", 16, 8, 2, 1)]
    [InlineData("gpu", 16, 2, 0, 15)] // the card needs one core to drive it; the rest prepare
    [InlineData("gpu", 2, 2, 0, 1)]
    public void Parallelism_GivesPreparersTheCoresTheNetworkLeaves(string device, int cores, int workers, int threadsPerCall, int preparers)
    {
        var p = FeaturizeParallelism.For(device == "gpu" ? ComputeDevice.Gpu : ComputeDevice.Cpu, cores);
        Assert.Equal((workers, threadsPerCall, preparers), (p.BatchesInFlight, p.ThreadsPerCall, p.Preparers));
    }

    private static float[] TwoSessions(float[] pixels, int count)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var prep = new InferenceSession(OnnxBatchRewriter.MakeBatchSymbolic(File.ReadAllBytes(Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"))), options);
        using var net = new InferenceSession(OnnxBatchRewriter.MakeBatchSymbolic(File.ReadAllBytes(Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx"))), options);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, 3, ResNet18Model.InputSize, ResNet18Model.InputSize]);
        using var runOptions = new RunOptions();
        using var prepared = prep.Run(runOptions, [prep.InputNames[0]], [input], [prep.OutputNames[0]]);
        using var output = net.Run(runOptions, [net.InputNames[0]], [prepared[0]], [net.OutputNames[0]]);
        return output[0].GetTensorDataAsSpan<float>()[..(count * ResNet18Model.FeatureCount)].ToArray();
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.Contains(expected.ToArray(), v => v > 0.1f);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-3f * Math.Max(1, Math.Abs(expected[i])), $"feature {i}: {expected[i]} vs {actual[i]}");
    }

    private static SKBitmap Picture(string name)
    {
        SKBitmap Drawn(int width, int height, SKColorType type)
        {
            var bitmap = new SKBitmap(new SKImageInfo(width, height, type, SKAlphaType.Premul));
            var random = new Random(width * 31 + height);
            using var canvas = new SKCanvas(bitmap);
            using var paint = new SKPaint { IsAntialias = true };
            canvas.Clear(new SKColor(30, 90, 160));
            for (int i = 0; i < 40; i++)
            {
                paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                canvas.DrawCircle(random.Next(width), random.Next(height), random.Next(2, 40), paint);
            }
            return bitmap;
        }
        switch (name)
        {
            case "tile rgba 64": return AerialTileGenerator.Draw(2, 11);
            case "tile bgra 64":
                using (var tile = AerialTileGenerator.Draw(3, 5)) return tile.Copy(SKColorType.Bgra8888);
            case "gray 28":
                var gray = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
                for (int y = 0; y < 28; y++) for (int x = 0; x < 28; x++) gray.SetPixel(x, y, new SKColor((byte)(x * 9), (byte)(x * 9), (byte)(x * 9)));
                return gray;
            case "rgba 400x300": return Drawn(400, 300, SKColorType.Rgba8888);
            case "rgb565 50x70":
                using (var source = Drawn(50, 70, SKColorType.Rgba8888)) return source.Copy(SKColorType.Rgb565);
            default: return Drawn(448, 500, SKColorType.Rgba8888);
        }
    }

    /// <summary>A picture whose colour is its index (red: low byte, green: high byte), read after a delay or a signal, or not at all.</summary>
    private sealed record Coded(int Index, int DelayMs, bool Broken, bool Throws = false, ManualResetEventSlim? WaitFor = null) : ImageSample(Index % 2, $"sample {Index}")
    {
        public override (SKBitmap? Bitmap, string? Problem) Read(int shortSide = SafeImageDecoder.NetworkSide)
        {
            Thread.Sleep(DelayMs);
            WaitFor?.Wait(TimeSpan.FromSeconds(20)); // bounded: a failure, not a hang, if nothing else ran
            if (Throws) throw new IOException("disk gone");
            if (Broken) return (null, "is damaged.");
            var bitmap = new SKBitmap(8, 8, SKColorType.Rgba8888, SKAlphaType.Opaque);
            bitmap.Erase(new SKColor((byte)(Index % 256), (byte)(Index / 256), 0));
            return (bitmap, null);
        }

        public static int Decode(ReadOnlySpan<float> planes) => (int)Math.Round(planes[0]) + 256 * (int)Math.Round(planes[Plane]);
    }

    /// <summary>The resize as it was before it was vectorised (a copy to RGBA, then one pixel at a time): the reference.</summary>
    private static class ScalarReference
    {
        private const int Size = ResNet18Model.InputSize;

        public static float[] Planes(SKBitmap image)
        {
            SKBitmap? owned = null;
            try
            {
                var source = image;
                if (Math.Min(image.Width, image.Height) > ImagePreprocessor.SourceShortSide) source = owned = ImagePreprocessor.Shrink(image, ImagePreprocessor.SourceShortSide);
                else if (image.ColorType != SKColorType.Rgba8888) source = owned = image.Copy(SKColorType.Rgba8888);
                return Sample(source!);
            }
            finally { owned?.Dispose(); }
        }

        private static float[] Sample(SKBitmap rgba)
        {
            var planes = new float[3 * Plane];
            int side = Math.Min(rgba.Width, rgba.Height);
            int left = (rgba.Width - side) / 2, top = (rgba.Height - side) / 2;
            float scale = (float)side / Size;
            var pixels = rgba.GetPixelSpan();
            int stride = rgba.RowBytes;
            for (int y = 0; y < Size; y++)
            {
                Axis(y, scale, top, side, out var y0, out var y1, out var wy);
                for (int x = 0; x < Size; x++)
                {
                    Axis(x, scale, left, side, out var x0, out var x1, out var wx);
                    for (int c = 0; c < 3; c++)
                    {
                        byte p00 = pixels[y0 * stride + x0 * 4 + c], p01 = pixels[y0 * stride + x1 * 4 + c];
                        byte p10 = pixels[y1 * stride + x0 * 4 + c], p11 = pixels[y1 * stride + x1 * 4 + c];
                        float upper = p00 + (p01 - p00) * wx;
                        float lower = p10 + (p11 - p10) * wx;
                        planes[c * Plane + y * Size + x] = upper + (lower - upper) * wy;
                    }
                }
            }
            return planes;
        }

        private static void Axis(int i, float scale, int offset, int side, out int i0, out int i1, out float weight)
        {
            float s = Math.Max((i + 0.5f) * scale - 0.5f, 0);
            int whole = (int)s;
            weight = s - whole;
            i0 = offset + Math.Min(whole, side - 1);
            i1 = offset + Math.Min(whole + 1, side - 1);
        }
    }
}
