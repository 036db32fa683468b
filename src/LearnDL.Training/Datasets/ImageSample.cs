using SkiaSharp;

namespace LearnDL.Training.Datasets;

/// <summary>One labelled image of a dataset, not yet decoded.</summary>
public abstract record ImageSample(int ClassIndex, string Source)
{
    /// <summary>Decodes the image, or returns null when it is not a readable image.</summary>
    public abstract SKBitmap? Decode();

    /// <summary>Decodes an encoded image held in memory (an upload), or returns null when it is not one.</summary>
    public static SKBitmap? Decode(byte[] encoded)
    {
        // Through SKData: SKBitmap.Decode(byte[]) throws on bytes no codec recognises, instead of returning null.
        using var data = SKData.CreateCopy(encoded);
        return SKBitmap.Decode(data);
    }
}

/// <summary>An encoded image file (png, jpg, ...).</summary>
public sealed record FileImageSample(int ClassIndex, string Path) : ImageSample(ClassIndex, Path)
{
    public override SKBitmap? Decode()
    {
        try
        {
            using var data = SKData.Create(Path);
            return data is null ? null : SKBitmap.Decode(data);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}

/// <summary>A grayscale image held as raw pixels (Fashion-MNIST's IDX records).</summary>
public sealed record GrayImageSample(int ClassIndex, string Source, byte[] Pixels, int Width, int Height)
    : ImageSample(ClassIndex, Source)
{
    public override SKBitmap Decode()
    {
        var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Gray8, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(Pixels, 0, bitmap.GetPixels(), Pixels.Length);
        return bitmap;
    }
}
