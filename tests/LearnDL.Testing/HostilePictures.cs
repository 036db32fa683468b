using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace LearnDL.Testing;

/// <summary>
/// Pictures an attacker would send, written byte by byte: headers that declare far more pixels than
/// the file holds (pixel bombs), files cut short, and the odd but honest formats (16-bit PNG,
/// animated GIF). Shared by the engine's tests, the web app's and the load test.
/// </summary>
public static class HostilePictures
{
    /// <summary>
    /// A PNG whose IHDR declares <paramref name="width"/> x <paramref name="height"/> and whose IDAT
    /// holds <paramref name="rows"/> rows of zeros (or <paramref name="row"/>'s bytes): with all rows,
    /// a 30,000 x 30,000 one-bit picture is a valid 109 KB file that decodes to 900 MB.
    /// </summary>
    public static byte[] Png(int width, int height, int bitDepth = 1, int colourType = 0, int rows = 4, Func<int, byte[]>? row = null)
    {
        var file = new MemoryStream();
        file.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        PngChunk(file, "IHDR", [.. BigEndian((uint)width), .. BigEndian((uint)height), (byte)bitDepth, (byte)colourType, 0, 0, 0]);
        var packed = new MemoryStream();
        using (var zlib = new ZLibStream(packed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            int channels = colourType switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };
            var zeros = new byte[((long)width * channels * bitDepth + 7) / 8 + 1]; // filter byte, then the row
            for (int y = 0; y < rows; y++) zlib.Write(row is null ? zeros : [0, .. row(y)]);
        }
        PngChunk(file, "IDAT", packed.ToArray());
        PngChunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>A whole, valid PNG of 30,000 x 30,000 one-bit pixels (109 KB): what a student would really send.</summary>
    public static byte[] PngBomb() => Png(30_000, 30_000, rows: 30_000);

    /// <summary>
    /// A valid RGBA PNG of <paramref name="side"/> x <paramref name="side"/> transparent pixels: small on
    /// disk, 4 bytes a pixel decoded. 6,300 a side is just under 40 megapixels: allowed, and 159 MB decoded.
    /// </summary>
    public static byte[] PngRgba(int side) => Png(side, side, bitDepth: 8, colourType: 6, rows: side);

    /// <summary>A 16-bit RGB PNG, <paramref name="width"/> x <paramref name="height"/>, red rising down the rows.</summary>
    public static byte[] Png16(int width = 64, int height = 48) =>
        Png(width, height, bitDepth: 16, colourType: 2, rows: height,
            row: y => Enumerable.Range(0, width).SelectMany(_ => new byte[] { (byte)(y * 255 / (height - 1)), 0x80, 0, 0, 0x40, 0 }).ToArray());

    /// <summary>
    /// A GIF with the given logical screen and frames. The LZW data sends a clear code before every
    /// two pixels, so codes stay 3 bits wide: valid and easy to write. Without <paramref name="pixel"/>,
    /// only the first 64 pixels of each frame are written (a bomb needs no more).
    /// </summary>
    public static byte[] Gif(int screenWidth, int screenHeight, int frameWidth, int frameHeight, int frames = 1, Func<int, int, int, int>? pixel = null)
    {
        var file = new MemoryStream();
        file.Write("GIF89a"u8);
        file.Write([.. LittleEndian16(screenWidth), .. LittleEndian16(screenHeight), 0x81, 0, 0]); // a global table of 4 colours
        file.Write([0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255]); // black, white, red, blue
        if (frames > 1) file.Write([0x21, 0xFF, 11, .. "NETSCAPE2.0"u8, 3, 1, 0, 0, 0]); // loop forever
        for (int f = 0; f < frames; f++)
        {
            file.Write([0x21, 0xF9, 4, 0, 10, 0, 0, 0]); // 0.1 s a frame
            file.Write([0x2C, 0, 0, 0, 0, .. LittleEndian16(frameWidth), .. LittleEndian16(frameHeight), 0, 2]);
            var bits = new List<bool>();
            void Code(int code) { for (int i = 0; i < 3; i++) bits.Add(((code >> i) & 1) != 0); }
            long count = pixel is null ? Math.Min((long)frameWidth * frameHeight, 64) : (long)frameWidth * frameHeight;
            for (long p = 0; p < count; p++)
            {
                if (p % 2 == 0) Code(4); // clear
                Code(pixel?.Invoke(f, (int)(p % frameWidth), (int)(p / frameWidth)) ?? 0);
            }
            Code(5); // end of information
            var bytes = new byte[(bits.Count + 7) / 8];
            for (int i = 0; i < bits.Count; i++) if (bits[i]) bytes[i / 8] |= (byte)(1 << (i % 8));
            for (int o = 0; o < bytes.Length; o += 255)
            {
                var n = Math.Min(255, bytes.Length - o);
                file.WriteByte((byte)n);
                file.Write(bytes, o, n);
            }
            file.WriteByte(0);
        }
        file.WriteByte(0x3B);
        return file.ToArray();
    }

    /// <summary>A lossless WebP (VP8L) whose header declares the size (at most 16,384 a side); no picture data follows.</summary>
    public static byte[] WebpLossless(int width, int height) =>
        Riff(("VP8L", [0x2F, .. LittleEndian32((uint)(width - 1) | ((uint)(height - 1) << 14)), 0, 0, 0, 0, 0, 0, 0, 0]));

    /// <summary>A lossy WebP (VP8) key frame whose header declares the size (at most 16,383 a side).</summary>
    public static byte[] WebpLossy(int width, int height) =>
        Riff(("VP8 ", [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, .. LittleEndian16(width), .. LittleEndian16(height), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));

    /// <summary>An extended (VP8X) animated WebP: a canvas of the given size, one real 8x8 frame in its corner.</summary>
    public static byte[] WebpCanvas(int canvasWidth, int canvasHeight)
    {
        using var small = new SKBitmap(8, 8);
        small.Erase(SKColors.Red);
        using var encoded = small.Encode(SKEncodedImageFormat.Webp, 100);
        var frame = encoded.ToArray()[12..]; // its VP8L chunk, after RIFF....WEBP
        return Riff(
            ("VP8X", [0x02, 0, 0, 0, .. LittleEndian24(canvasWidth - 1), .. LittleEndian24(canvasHeight - 1)]),
            ("ANIM", [0, 0, 0, 0, 0, 0]),
            ("ANMF", [.. LittleEndian24(0), .. LittleEndian24(0), .. LittleEndian24(7), .. LittleEndian24(7), .. LittleEndian24(100), 0, .. frame]));
    }

    /// <summary>A real 16x16 JPEG whose start-of-frame marker is patched to declare another size.</summary>
    public static byte[] JpegDeclaring(int width, int height)
    {
        using var bitmap = new SKBitmap(16, 16);
        bitmap.Erase(SKColors.Teal);
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        var jpeg = encoded.ToArray();
        for (int i = 2; i < jpeg.Length - 9; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC1 or 0xC2)
            {
                jpeg[i + 5] = (byte)(height >> 8); jpeg[i + 6] = (byte)height;
                jpeg[i + 7] = (byte)(width >> 8); jpeg[i + 8] = (byte)width;
                return jpeg;
            }
        throw new InvalidOperationException("The encoded JPEG has no start-of-frame marker.");
    }

    /// <summary>A photo-like picture (gradients and a disc) encoded as <paramref name="format"/>.</summary>
    public static byte[] Photo(int width, int height, SKEncodedImageFormat format, int quality = 85)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint())
        {
            paint.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height), [SKColors.Coral, SKColors.SteelBlue], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, width, height, paint);
            paint.Shader = null;
            paint.Color = SKColors.ForestGreen;
            canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 3f, paint);
        }
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>
    /// A picture of a web page (a title bar, lines of text, a button) as a PNG: an honest picture, but nothing like
    /// what a model trained on aerial tiles or clothes has seen.
    /// </summary>
    public static byte[] WebPageScreenshot(int width = 640, int height = 400)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { IsAntialias = true })
        using (var font = new SKFont(SKTypeface.Default, 18))
        {
            canvas.Clear(SKColors.White);
            paint.Color = new SKColor(0x59, 0x4A, 0xE2);
            canvas.DrawRect(0, 0, width, 56, paint);
            paint.Color = SKColors.White;
            canvas.DrawText("LearnDL: which one do you need?", 16, 36, font, paint);
            paint.Color = new SKColor(0x33, 0x33, 0x33);
            for (int line = 0; line < 10 && 96 + line * 28 < height - 60; line++)
                canvas.DrawText($"Line {line + 1} of a lesson: a CPU is a must; a GPU is yes and no.", 16, 96 + line * 28, font, paint);
            paint.Color = new SKColor(0x1E, 0x88, 0xE5);
            canvas.DrawRoundRect(16, height - 52, 160, 36, 6, 6, paint);
            paint.Color = SKColors.White;
            canvas.DrawText("Start a run", 40, height - 28, font, paint);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The first <paramref name="fraction"/> of a file: an upload cut off by a dropped connection.</summary>
    public static byte[] CutShort(byte[] file, double fraction = 0.5) => file[..(int)(file.Length * fraction)];

    private static void PngChunk(Stream file, string type, byte[] data)
    {
        file.Write(BigEndian((uint)data.Length));
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        file.Write(typed);
        file.Write(BigEndian(Crc32(typed)));
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }

    private static byte[] Riff(params (string Type, byte[] Data)[] chunks)
    {
        var body = new MemoryStream();
        body.Write("WEBP"u8);
        foreach (var (type, data) in chunks)
        {
            body.Write(Encoding.ASCII.GetBytes(type));
            body.Write(LittleEndian32((uint)data.Length));
            body.Write(data);
            if (data.Length % 2 == 1) body.WriteByte(0);
        }
        return [.. "RIFF"u8, .. LittleEndian32((uint)body.Length), .. body.ToArray()];
    }

    private static byte[] BigEndian(uint v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
    private static byte[] LittleEndian16(int v) => [(byte)v, (byte)(v >> 8)];
    private static byte[] LittleEndian24(int v) => [(byte)v, (byte)(v >> 8), (byte)(v >> 16)];
    private static byte[] LittleEndian32(uint v) => [(byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24)];
}
