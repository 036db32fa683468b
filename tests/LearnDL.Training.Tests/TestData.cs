using System.IO.Compression;
using LearnDL.Training.Datasets;
using SkiaSharp;

namespace LearnDL.Training.Tests;

/// <summary>A temporary folder that deletes itself.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("learndl-test-").FullName;
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

public static class TestData
{
    /// <summary>Writes a small class-per-folder dataset of solid-colour PNGs with a little noise.</summary>
    public static void WriteFolderDataset(string root, IReadOnlyDictionary<string, SKColor> classes, int perClass)
    {
        var random = new Random(3);
        foreach (var (name, colour) in classes)
        {
            var folder = System.IO.Path.Combine(root, name);
            Directory.CreateDirectory(folder);
            for (int i = 0; i < perClass; i++)
            {
                using var bitmap = new SKBitmap(32, 32);
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                    {
                        int d = random.Next(-20, 21);
                        bitmap.SetPixel(x, y, new SKColor((byte)Math.Clamp(colour.Red + d, 0, 255), (byte)Math.Clamp(colour.Green + d, 0, 255), (byte)Math.Clamp(colour.Blue + d, 0, 255)));
                    }
                using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(System.IO.Path.Combine(folder, $"{i:D3}.png"), data.ToArray());
            }
        }
    }

    /// <summary>Writes Fashion-MNIST-style IDX files: image i has every pixel = i, label i % classes.</summary>
    public static void WriteIdx(string folder, int count, int classes, bool gzip)
    {
        Directory.CreateDirectory(folder);
        var images = new List<byte> { 0, 0, 8, 3 };
        images.AddRange(BigEndian(count)); images.AddRange(BigEndian(28)); images.AddRange(BigEndian(28));
        var labels = new List<byte> { 0, 0, 8, 1 };
        labels.AddRange(BigEndian(count));
        for (int i = 0; i < count; i++)
        {
            images.AddRange(Enumerable.Repeat((byte)(i % 256), 28 * 28));
            labels.Add((byte)(i % classes));
        }
        Write(System.IO.Path.Combine(folder, "train-images-idx3-ubyte"), images.ToArray(), gzip);
        Write(System.IO.Path.Combine(folder, "train-labels-idx1-ubyte"), labels.ToArray(), gzip);
    }

    private static void Write(string path, byte[] data, bool gzip)
    {
        if (!gzip) { File.WriteAllBytes(path, data); return; }
        using var file = File.Create(path + ".gz");
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(data);
    }

    private static byte[] BigEndian(int value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    public static DatasetCatalog Catalog(string dataFolder, string? fashionFolder = null, params string[] roots) =>
        new(new DatasetOptions { DataFolder = dataFolder, FashionMnistFolder = fashionFolder ?? System.IO.Path.Combine(dataFolder, "no-fashion"), FolderRoots = roots.ToList() });
}
