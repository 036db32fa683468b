using System.Numerics;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace LearnDL.Training.Featurization;

/// <summary>
/// Turns a decoded image into the network's input: centre-cropped to a square, resized to 224x224
/// (bilinear), laid out as R, G and B planes of 0-255 floats, what ML.NET's ResizeImages +
/// ExtractPixels give. It reads the decoder's own layout (RGBA, BGRA, RGBX or gray) in place, with
/// no converted copy, interpolates each source row across once (the rows an upscale reuses are
/// kept), and blends rows with SIMD vectors: the same arithmetic, in the same order, as the scalar
/// formula, so the values are bit for bit those of a plain loop. One instance per thread.
/// </summary>
public sealed class ImagePreprocessor
{
    private const int Size = ResNet18Model.InputSize;
    /// <summary>Larger pictures are first shrunk to this short side with Skia's filtering, so bilinear sampling does not alias.</summary>
    public const int SourceShortSide = 2 * Size;
    private const int Plane = Size * Size;

    private readonly int[] _x0 = new int[Size], _x1 = new int[Size];
    private readonly float[] _wx = new float[Size];
    // Source rows already interpolated across (R, G, B runs of 224), one slot for even rows and one for
    // odd: the two rows an output row blends are always neighbours, so they never evict each other.
    private readonly float[][] _rows = [new float[3 * Size], new float[3 * Size]];
    private readonly int[] _rowIndex = new int[2];

    /// <summary>Where a pixel's red, green and blue bytes sit, and how many bytes a pixel takes.</summary>
    private readonly record struct Layout(int Bytes, int Red, int Green, int Blue)
    {
        public bool IsGray => Bytes == 1;

        public static Layout? Of(SKColorType type) => type switch
        {
            SKColorType.Rgba8888 or SKColorType.Rgb888x => new Layout(4, 0, 1, 2),
            SKColorType.Bgra8888 => new Layout(4, 2, 1, 0),
            SKColorType.Gray8 => new Layout(1, 0, 0, 0),
            _ => null,
        };
    }

    /// <summary>Writes the image's 3x224x224 planes into <paramref name="planes"/>.</summary>
    public void Write(SKBitmap image, Span<float> planes)
    {
        if (planes.Length < 3 * Plane) throw new ArgumentException($"The planes need {3 * Plane} floats.", nameof(planes));
        SKBitmap? owned = null;
        try
        {
            var source = image;
            if (Math.Min(image.Width, image.Height) > SourceShortSide)
                source = owned = Shrink(image, SourceShortSide);
            else if (Layout.Of(image.ColorType) is null)
                source = owned = image.Copy(SKColorType.Rgba8888); // 16-bit, half-float and other rare layouts
            if (source is null) throw new InvalidDataException("The image could not be converted to RGBA.");
            Sample(source, Layout.Of(source.ColorType)!.Value, planes);
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>The picture scaled to <paramref name="shortSide"/> on its shorter side, with Skia's filtering, as RGBA; null when Skia cannot.</summary>
    public static SKBitmap? Shrink(SKBitmap image, int shortSide)
    {
        var scale = (double)shortSide / Math.Min(image.Width, image.Height);
        return image.Resize(new SKImageInfo((int)Math.Round(image.Width * scale), (int)Math.Round(image.Height * scale),
            SKColorType.Rgba8888, SKAlphaType.Premul), SKFilterQuality.Medium);
    }

    private void Sample(SKBitmap bitmap, Layout layout, Span<float> planes)
    {
        int side = Math.Min(bitmap.Width, bitmap.Height);
        int left = (bitmap.Width - side) / 2, top = (bitmap.Height - side) / 2;
        float scale = (float)side / Size;
        for (int x = 0; x < Size; x++) Axis(x, scale, left, side, out _x0[x], out _x1[x], out _wx[x]);
        _rowIndex[0] = _rowIndex[1] = -1;
        var pixels = bitmap.GetPixelSpan();
        int stride = bitmap.RowBytes;
        int channels = layout.IsGray ? 1 : 3;
        for (int y = 0; y < Size; y++)
        {
            Axis(y, scale, top, side, out var y0, out var y1, out var wy);
            var upper = Row(pixels, stride, y0, layout, channels);
            var lower = Row(pixels, stride, y1, layout, channels);
            for (int c = 0; c < channels; c++)
                Blend(upper.AsSpan(c * Size, Size), lower.AsSpan(c * Size, Size), wy, planes.Slice(c * Plane + y * Size, Size));
        }
        if (layout.IsGray)
        {
            planes[..Plane].CopyTo(planes.Slice(Plane, Plane));
            planes[..Plane].CopyTo(planes.Slice(2 * Plane, Plane));
        }
    }

    /// <summary>Source row <paramref name="index"/> interpolated across to 224 values per channel, computed once per image.</summary>
    private float[] Row(ReadOnlySpan<byte> pixels, int stride, int index, Layout layout, int channels)
    {
        var row = _rows[index & 1];
        if (_rowIndex[index & 1] == index) return row;
        _rowIndex[index & 1] = index;
        var source = pixels.Slice(index * stride, stride);
        for (int c = 0; c < channels; c++)
        {
            int channel = c switch { 0 => layout.Red, 1 => layout.Green, _ => layout.Blue };
            var into = row.AsSpan(c * Size, Size);
            for (int x = 0; x < Size; x++)
            {
                byte p0 = source[_x0[x] * layout.Bytes + channel], p1 = source[_x1[x] * layout.Bytes + channel];
                into[x] = p0 + (p1 - p0) * _wx[x];
            }
        }
        return row;
    }

    /// <summary>upper + (lower - upper) * weight, a vector at a time.</summary>
    private static void Blend(ReadOnlySpan<float> upper, ReadOnlySpan<float> lower, float weight, Span<float> into)
    {
        int x = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var w = new Vector<float>(weight);
            var up = MemoryMarshal.Cast<float, Vector<float>>(upper);
            var low = MemoryMarshal.Cast<float, Vector<float>>(lower);
            var output = MemoryMarshal.Cast<float, Vector<float>>(into);
            for (int v = 0; v < up.Length; v++) output[v] = up[v] + (low[v] - up[v]) * w;
            x = up.Length * Vector<float>.Count;
        }
        for (; x < into.Length; x++) into[x] = upper[x] + (lower[x] - upper[x]) * weight;
    }

    /// <summary>Pixel-centre-aligned source coordinates and weight for output index <paramref name="i"/>.</summary>
    private static void Axis(int i, float scale, int offset, int side, out int i0, out int i1, out float weight)
    {
        float s = Math.Max((i + 0.5f) * scale - 0.5f, 0);
        int whole = (int)s;
        weight = s - whole;
        i0 = offset + Math.Min(whole, side - 1);
        i1 = offset + Math.Min(whole + 1, side - 1);
    }
}
