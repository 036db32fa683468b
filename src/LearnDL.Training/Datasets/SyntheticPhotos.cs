using SkiaSharp;

namespace LearnDL.Training.Datasets;

/// <summary>
/// A folder of 12-megapixel (4,000 x 3,000) JPEG photos, generated on first use and kept, so the
/// benchmark can measure what a learner's own camera pictures cost to prepare. Soft shapes under a
/// sky-to-grass gradient with sensor-like grain: about as costly to decode as a phone's photo.
/// </summary>
public static class SyntheticPhotos
{
    public const int Width = 4000, Height = 3000;

    /// <summary>The first <paramref name="count"/> photos under <paramref name="folder"/>, drawing the missing ones.</summary>
    public static IReadOnlyList<ImageSample> Ensure(string folder, int count, CancellationToken cancellationToken = default)
    {
        folder = Path.Combine(folder, "photos-12mp-v1");
        Directory.CreateDirectory(folder);
        var samples = new List<ImageSample>(count);
        for (int i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.Combine(folder, $"{i:D3}.jpg");
            if (!File.Exists(path))
            {
                using var bitmap = Draw(i);
                using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
                // Write then rename, so a cancelled or concurrent generation never leaves half a file.
                var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
                using (var file = File.Create(temp)) data.SaveTo(file);
                File.Move(temp, path, overwrite: true);
            }
            samples.Add(new FileImageSample(0, path));
        }
        return samples;
    }

    public static SKBitmap Draw(int index)
    {
        var random = new Random(31_337 + index);
        var bitmap = new SKBitmap(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { IsAntialias = true })
        {
            using (var sky = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, Height),
                [new SKColor(120, 170, 230), new SKColor(90, 140, 80)], SKShaderTileMode.Clamp))
            {
                paint.Shader = sky;
                canvas.DrawRect(0, 0, Width, Height, paint);
                paint.Shader = null;
            }
            for (int k = 0; k < 300; k++)
            {
                paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(80, 256));
                canvas.DrawCircle(random.Next(Width), random.Next(Height), random.Next(20, 400), paint);
            }
        }
        Grain(bitmap, (uint)(index * 2_654_435_761 + 1));
        return bitmap;
    }

    /// <summary>Adds +-6 levels of noise to every channel: flat synthetic colour compresses far better than a camera's pixels.</summary>
    private static unsafe void Grain(SKBitmap bitmap, uint state)
    {
        var bytes = new Span<byte>((void*)bitmap.GetPixels(), bitmap.ByteCount);
        for (int i = 0; i < bytes.Length; i++)
        {
            if ((i & 3) == 3) continue; // alpha
            state ^= state << 13; state ^= state >> 17; state ^= state << 5; // xorshift: fast, and the same everywhere
            bytes[i] = (byte)Math.Clamp(bytes[i] + (int)(state % 13) - 6, 0, 255);
        }
    }
}
