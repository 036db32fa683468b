using SkiaSharp;

namespace LearnDL.Training.Datasets;

/// <summary>One labelled image of a dataset, not yet decoded.</summary>
public abstract record ImageSample(int ClassIndex, string Source)
{
    /// <summary>Decodes the image for the network, or returns null when it is not a picture that may be read (<see cref="Read"/> says why).</summary>
    public SKBitmap? Decode() => Read().Bitmap;

    /// <summary>
    /// Decodes the image with one to two times <paramref name="shortSide"/> pixels on its shorter side
    /// (a large photo comes back scaled down to that), or says why it cannot be: see <see cref="SafeImageDecoder"/>.
    /// </summary>
    public abstract (SKBitmap? Bitmap, string? Problem) Read(int shortSide = SafeImageDecoder.NetworkSide);
}

/// <summary>An encoded image file (png, jpg, ...), decoded within the limits of <paramref name="Limits"/> (the default ones when null).</summary>
public sealed record FileImageSample(int ClassIndex, string Path, SafeImageDecoder? Limits = null) : ImageSample(ClassIndex, Path)
{
    public override (SKBitmap? Bitmap, string? Problem) Read(int shortSide = SafeImageDecoder.NetworkSide) =>
        (Limits ?? SafeImageDecoder.Default).Decode(Path, shortSide);
}

/// <summary>A grayscale image held as raw pixels (Fashion-MNIST's IDX records).</summary>
public sealed record GrayImageSample(int ClassIndex, string Source, byte[] Pixels, int Width, int Height)
    : ImageSample(ClassIndex, Source)
{
    public override (SKBitmap? Bitmap, string? Problem) Read(int shortSide = SafeImageDecoder.NetworkSide)
    {
        var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Gray8, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(Pixels, 0, bitmap.GetPixels(), Pixels.Length);
        return (bitmap, null);
    }
}
