using System.Collections.Concurrent;
using LearnDL.Training.Featurization;
using SkiaSharp;

namespace LearnDL.Training.Datasets;

/// <summary>
/// Decodes pictures from people who may not mean well. The header is read first (SKCodec reads it
/// without decoding anything) and a picture that declares more than <see cref="MaxPixels"/> pixels,
/// or a shape no photo has, is refused before a byte of it is decoded: a 109 KB PNG can declare
/// 30,000 x 30,000 pixels and decode to gigabytes. Large JPEG and WebP photos are decoded already
/// scaled down (JPEG by its DCT in eighths, WebP to any size), to the smallest size at least as large
/// as the consumer asked: a 12-megapixel JPEG decodes at an eighth (500 x 375) in a fifth of the time
/// a quarter takes. PNG, GIF and BMP cannot scale in the codec and decode at full size, which the
/// limit bounds (4 bytes a pixel: 160 MB at the default). Whatever comes out more than twice the
/// asked size is shrunk to twice it at once (bilinear sampling from there does not alias), and large
/// decodes take turns on one thread, so ten near-limit pictures at once cost one picture's memory, not ten.
/// A file that ends before its picture does is refused too, everywhere alike: Skia would fill the
/// missing rows with a flat colour, a picture that would teach the network wrong and give a learner
/// a confident answer about half a photo. Animated GIF and WebP give their first frame.
/// </summary>
public sealed record SafeImageDecoder(long MaxPixels = SafeImageDecoder.DefaultMaxPixels)
{
    /// <summary>40 megapixels: above every phone camera's full-resolution photo (a 7,700 x 5,200 DSLR picture).</summary>
    public const long DefaultMaxPixels = 40_000_000;

    /// <summary>
    /// Longest side at most 20 times the shortest. Phone panoramas reach about 8:1; past 20:1 the
    /// network's centre crop would keep under a twentieth of the picture, and a 1 x 40,000,000 strip
    /// is a pixel bomb that fits the pixel limit.
    /// </summary>
    public const int MaxAspectRatio = 20;

    /// <summary>What the network needs: 224 pixels; <see cref="ImagePreprocessor"/> samples up to twice that without aliasing.</summary>
    public const int NetworkSide = ResNet18Model.InputSize;

    public static SafeImageDecoder Default { get; } = new();

    /// <summary>Decodes that take more (a 2,000 x 2,000 picture at 4 bytes a pixel) wait their turn on one thread.</summary>
    public const long LargeDecodeBytes = 16L * 1024 * 1024;

    private static readonly LargePictureLine Large = new();

    /// <summary>The picture in a file, between one and two times <paramref name="shortSide"/> pixels on its shorter side where it is larger; or why not.</summary>
    public (SKBitmap? Bitmap, string? Problem) Decode(string path, int shortSide = NetworkSide)
    {
        try
        {
            using var data = SKData.Create(path);
            return data is null ? (null, NotAPicture) : Decode(data, shortSide);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return (null, $"could not be read ({e.Message})."); }
    }

    /// <summary>An encoded picture held in memory (an upload).</summary>
    public (SKBitmap? Bitmap, string? Problem) Decode(ReadOnlySpan<byte> encoded, int shortSide = NetworkSide)
    {
        using var data = SKData.CreateCopy(encoded);
        return Decode(data, shortSide);
    }

    /// <summary>Reads only the header: null when the file is a picture within the limits, else why not (truncation shows only when decoding).</summary>
    public string? Check(string path)
    {
        try
        {
            using var data = SKData.Create(path);
            if (data is null) return NotAPicture;
            using var codec = SKCodec.Create(data);
            return codec is null ? NotAPicture : Refusal(codec.Info);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"could not be read ({e.Message})."; }
    }

    /// <summary>
    /// What <see cref="Decode(string, int)"/> would decode the file to (JPEG and WebP already scaled in the codec),
    /// and whether the codec is lossy; read from the header alone. Or why the picture is refused.
    /// </summary>
    public (SKSizeI Decoded, SKSizeI Declared, bool Lossy, string? Problem) Measure(string path, int shortSide = NetworkSide)
    {
        try
        {
            using var data = SKData.Create(path);
            return data is null ? (default, default, false, NotAPicture) : Measure(data, shortSide);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return (default, default, false, $"could not be read ({e.Message})."); }
    }

    /// <summary>The same, for an encoded picture held in memory (an upload).</summary>
    public (SKSizeI Decoded, SKSizeI Declared, bool Lossy, string? Problem) Measure(ReadOnlySpan<byte> encoded, int shortSide = NetworkSide)
    {
        using var data = SKData.CreateCopy(encoded);
        return Measure(data, shortSide);
    }

    private (SKSizeI, SKSizeI, bool, string?) Measure(SKData data, int shortSide)
    {
        using var codec = SKCodec.Create(data);
        if (codec is null) return (default, default, false, NotAPicture);
        if (Refusal(codec.Info) is { } refusal) return (default, codec.Info.Size, false, refusal);
        return (ScaledSize(codec, shortSide), codec.Info.Size, codec.EncodedFormat is SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp, null);
    }

    /// <summary>Problems read as the rest of a sentence whose subject is the file ("bomb.png declares...").</summary>
    public const string NotAPicture = "is not a picture LearnDL can read (JPEG, PNG, BMP, GIF or WebP).";

    private (SKBitmap?, string?) Decode(SKData data, int shortSide)
    {
        using var codec = SKCodec.Create(data);
        if (codec is null) return (null, NotAPicture);
        if (Refusal(codec.Info) is { } refusal) return (null, refusal);

        var size = ScaledSize(codec, shortSide);
        // The colour type the codec reports, as SKBitmap.Decode chooses it, so everything after decoding is unchanged.
        var info = new SKImageInfo(size.Width, size.Height, codec.Info.ColorType,
            codec.Info.AlphaType == SKAlphaType.Unpremul ? SKAlphaType.Premul : codec.Info.AlphaType);
        return info.BytesSize64 > LargeDecodeBytes ? Large.Run(() => DecodePixels(codec, info, shortSide)) : DecodePixels(codec, info, shortSide);
    }

    private static (SKBitmap?, string?) DecodePixels(SKCodec codec, SKImageInfo info, int shortSide)
    {
        var bitmap = new SKBitmap();
        if (!bitmap.TryAllocPixels(info))
        {
            bitmap.Dispose();
            return (null, $"is {Size(codec.Info)} pixels, more than this server has memory for just now.");
        }
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            return (null, result == SKCodecResult.IncompleteInput
                ? "is cut short: the file ends before its picture does. Send the whole file."
                : "is damaged: its picture data does not decode.");
        }
        if (Math.Min(info.Width, info.Height) <= 2 * shortSide) return (bitmap, null);
        // Far larger than asked (the codec could not scale, or not far enough): shrunk now, as ImagePreprocessor
        // would have done, so the full-size pixels are freed before the caller gets the picture.
        var small = ImagePreprocessor.Shrink(bitmap, 2 * shortSide);
        if (small is null) return (bitmap, null);
        bitmap.Dispose();
        return (small, null);
    }

    private string? Refusal(SKImageInfo declared)
    {
        long pixels = (long)declared.Width * declared.Height;
        if (pixels > MaxPixels)
            return $"declares {Size(declared)} pixels ({Megapixels(pixels)} {MegapixelNoun(pixels)}); at most {Megapixels(MaxPixels)} {MegapixelNoun(MaxPixels)} {(Megapixels(MaxPixels) == "1" ? "is" : "are")} read (MaxImagePixels).";
        long longer = Math.Max(declared.Width, declared.Height), shorter = Math.Min(declared.Width, declared.Height);
        if (longer > MaxAspectRatio * shorter)
            return $"is {Size(declared)} pixels, one side {(double)longer / shorter:N0} times the other; pictures up to {MaxAspectRatio}:1 are read.";
        return null;
    }

    /// <summary>
    /// The smallest size the codec can decode to whose short side is still at least <paramref name="shortSide"/>;
    /// pictures up to twice that are decoded whole, exactly as before scaling was used.
    /// </summary>
    private static SKSizeI ScaledSize(SKCodec codec, int shortSide)
    {
        var full = codec.Info.Size;
        var side = Math.Min(full.Width, full.Height);
        if (side <= 2 * shortSide) return full;
        var best = full;
        // The exact scale (WebP takes any), then JPEG's eighths above it, since codecs round the scale they are given.
        var exact = (float)shortSide / side;
        foreach (var scale in Enumerable.Range(1, 7).Select(k => k / 8f).Where(s => s > exact).Prepend(exact))
        {
            var size = codec.GetScaledDimensions(scale);
            if (Math.Min(size.Width, size.Height) >= shortSide && (long)size.Width * size.Height < (long)best.Width * best.Height) best = size;
        }
        return best;
    }

    /// <summary>
    /// One thread that decodes large pictures, one at a time. Ten near-limit pictures sent at once
    /// then take turns instead of holding 160 MB each, and Skia's shrinking (its mipmaps) leaves what
    /// the C allocator keeps in one thread's arena, not one per thread: ten 100 MB pictures decoded
    /// on ten threads kept 230 MB after they were done, on this one thread 57 MB.
    /// </summary>
    private sealed class LargePictureLine
    {
        private readonly BlockingCollection<Action> _work = new();

        public LargePictureLine() =>
            new Thread(() => { foreach (var work in _work.GetConsumingEnumerable()) work(); }) { IsBackground = true, Name = "large picture decoder" }.Start();

        /// <summary>Runs <paramref name="decode"/> on the line's thread once the pictures before it are done; the caller waits.</summary>
        public T Run<T>(Func<T> decode)
        {
            var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            _work.Add(() =>
            {
                try { done.SetResult(decode()); }
                catch (Exception e) { done.SetException(e); }
            });
            return done.Task.GetAwaiter().GetResult();
        }
    }

    private static string Size(SKImageInfo info) => $"{info.Width:N0} x {info.Height:N0}";

    private static string Megapixels(long pixels) => (pixels / 1e6).ToString(pixels < 10_000_000 ? "#,0.#" : "#,0");
    private static string MegapixelNoun(long pixels) => Megapixels(pixels) == "1" ? "megapixel" : "megapixels";
}
