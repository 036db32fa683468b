using SkiaSharp;

namespace LearnDL.Training.Datasets;

/// <summary>
/// Draws drone-style aerial tiles procedurally. Each tile depends only on (class, index), so any
/// prefix of the dataset is the same whoever generates it, and nothing has to ship or download.
/// </summary>
public static class AerialTileGenerator
{
    public const int Size = 64;
    public static readonly IReadOnlyList<string> ClassNames = ["water", "forest", "field", "buildings", "road"];

    public static SKBitmap Draw(int classIndex, int index)
    {
        if (classIndex < 0 || classIndex >= ClassNames.Count) throw new ArgumentOutOfRangeException(nameof(classIndex));
        // A fixed formula, not HashCode.Combine: that one is seeded differently in every process.
        var random = new Random(unchecked(20240917 + classIndex * 1_000_003 + index * 7_919));
        var bitmap = new SKBitmap(Size, Size, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bitmap);
        using var paint = new SKPaint { IsAntialias = true };
        DrawClass(classIndex, canvas, paint, random);
        // Real tiles are rarely pure: a clump of trees in a field, a house by the water. This keeps
        // the task from being trivial, so epochs and the confusion matrix have something to show.
        if (random.NextDouble() < 0.5) Intrude(classIndex, canvas, paint, random);
        Light(bitmap, random);
        return bitmap;
    }

    private static void DrawClass(int classIndex, SKCanvas canvas, SKPaint paint, Random random)
    {
        switch (classIndex)
        {
            case 0: Water(canvas, paint, random); break;
            case 1: Forest(canvas, paint, random); break;
            case 2: Field(canvas, paint, random); break;
            case 3: Buildings(canvas, paint, random); break;
            default: Road(canvas, paint, random); break;
        }
    }

    private static void Intrude(int own, SKCanvas canvas, SKPaint paint, Random r)
    {
        int other = (own + 1 + r.Next(ClassNames.Count - 1)) % ClassNames.Count;
        int w = r.Next(24, 53), h = r.Next(24, 53);
        canvas.Save();
        canvas.ClipRect(SKRect.Create(r.Next(0, Size - w), r.Next(0, Size - h), w, h));
        DrawClass(other, canvas, paint, r);
        canvas.Restore();
    }

    private static SKColor Jitter(Random r, int red, int green, int blue, int spread) =>
        new((byte)Math.Clamp(red + r.Next(-spread, spread + 1), 0, 255),
            (byte)Math.Clamp(green + r.Next(-spread, spread + 1), 0, 255),
            (byte)Math.Clamp(blue + r.Next(-spread, spread + 1), 0, 255));

    private static void Water(SKCanvas canvas, SKPaint paint, Random r)
    {
        canvas.Clear(Jitter(r, 30, 80, 150, 25));
        paint.Style = SKPaintStyle.Stroke;
        var angle = r.NextDouble() * Math.PI;
        for (int i = 0; i < 14; i++)
        {
            paint.Color = Jitter(r, 90, 150, 210, 30).WithAlpha((byte)r.Next(60, 140));
            paint.StrokeWidth = r.Next(1, 3);
            float offset = r.Next(-Size, Size);
            using var path = new SKPath();
            for (int x = -Size; x <= 2 * Size; x += 4)
            {
                float y = offset + 3f * MathF.Sin(x / 6f + i);
                var (px, py) = Rotate(x, y, angle);
                if (x == -Size) path.MoveTo(px, py); else path.LineTo(px, py);
            }
            canvas.DrawPath(path, paint);
        }
    }

    private static void Forest(SKCanvas canvas, SKPaint paint, Random r)
    {
        canvas.Clear(Jitter(r, 25, 60, 25, 12));
        paint.Style = SKPaintStyle.Fill;
        for (int i = 0; i < 45; i++)
        {
            paint.Color = Jitter(r, 40, 110, 40, 30);
            canvas.DrawCircle(r.Next(Size), r.Next(Size), r.Next(3, 8), paint);
        }
    }

    private static void Field(SKCanvas canvas, SKPaint paint, Random r)
    {
        var crop = r.Next(3) switch { 0 => (200, 180, 80), 1 => (120, 170, 60), _ => (150, 110, 70) };
        canvas.Clear(Jitter(r, crop.Item1, crop.Item2, crop.Item3, 20));
        paint.Style = SKPaintStyle.Stroke;
        paint.StrokeWidth = 1.5f;
        paint.Color = Jitter(r, crop.Item1 - 50, crop.Item2 - 50, crop.Item3 - 30, 10);
        var angle = r.NextDouble() * Math.PI;
        int spacing = r.Next(3, 6);
        for (int d = -2 * Size; d < 2 * Size; d += spacing)
        {
            var (x1, y1) = Rotate(d, -2 * Size, angle);
            var (x2, y2) = Rotate(d, 2 * Size, angle);
            canvas.DrawLine(x1, y1, x2, y2, paint);
        }
    }

    private static void Buildings(SKCanvas canvas, SKPaint paint, Random r)
    {
        canvas.Clear(Jitter(r, 130, 130, 125, 15));
        paint.Style = SKPaintStyle.Fill;
        for (int i = 0; i < r.Next(5, 10); i++)
        {
            int w = r.Next(8, 22), h = r.Next(8, 22), x = r.Next(-4, Size - 4), y = r.Next(-4, Size - 4);
            paint.Color = new SKColor(40, 40, 40, 120); // shadow
            canvas.DrawRect(x + 3, y + 3, w, h, paint);
            paint.Color = r.Next(3) switch
            {
                0 => Jitter(r, 170, 60, 50, 20),
                1 => Jitter(r, 210, 210, 205, 15),
                _ => Jitter(r, 90, 90, 100, 15),
            };
            canvas.DrawRect(x, y, w, h, paint);
        }
    }

    private static void Road(SKCanvas canvas, SKPaint paint, Random r)
    {
        canvas.Clear(Jitter(r, 100, 130, 80, 20));
        var angle = r.NextDouble() * Math.PI;
        float offset = r.Next(-12, 12);
        paint.Style = SKPaintStyle.Stroke;
        paint.Color = Jitter(r, 60, 60, 65, 10);
        paint.StrokeWidth = r.Next(12, 20);
        var (x1, y1) = Rotate(offset, -Size, angle, Size / 2f);
        var (x2, y2) = Rotate(offset, 2 * Size, angle, Size / 2f);
        canvas.DrawLine(x1, y1, x2, y2, paint);
        paint.Color = new SKColor(235, 235, 220);
        paint.StrokeWidth = 1.5f;
        paint.PathEffect = SKPathEffect.CreateDash([5, 4], 0);
        canvas.DrawLine(x1, y1, x2, y2, paint);
        paint.PathEffect = null;
    }

    private static (float X, float Y) Rotate(float x, float y, double angle, float around = Size / 2f)
    {
        float cx = x - around, cy = y - around;
        return ((float)(cx * Math.Cos(angle) - cy * Math.Sin(angle)) + around,
                (float)(cx * Math.Sin(angle) + cy * Math.Cos(angle)) + around);
    }

    /// <summary>Time of day and sensor noise: a brightness shift for the tile, and speckles.</summary>
    private static void Light(SKBitmap bitmap, Random r)
    {
        int shift = r.Next(-40, 41);
        var pixels = bitmap.Pixels;
        for (int i = 0; i < pixels.Length; i++)
        {
            int d = shift + (r.Next(4) == 0 ? r.Next(-30, 31) : 0);
            var c = pixels[i];
            pixels[i] = new SKColor((byte)Math.Clamp(c.Red + d, 0, 255), (byte)Math.Clamp(c.Green + d, 0, 255), (byte)Math.Clamp(c.Blue + d, 0, 255));
        }
        bitmap.Pixels = pixels;
    }
}
