using SkiaSharp;

namespace LearnDL.Training.Datasets;

/// <summary>
/// Aerial tiles (water, forest, field, buildings, road) generated on first use and cached as PNG
/// files, so runs read real encoded images from disk like any other dataset.
/// </summary>
public sealed class BuiltinDataset(string cacheFolder) : IImageDataset
{
    public const string Name = "builtin";
    public const int MaxImages = 10_000;
    private static int PerClass => MaxImages / AerialTileGenerator.ClassNames.Count;

    public DatasetInfo Info => new(Name, "Aerial tiles (built in)",
        "Drone-style 64x64 colour tiles in five classes, generated on this machine: nothing to install or download.",
        true, null, AerialTileGenerator.ClassNames, MaxImages);

    public DatasetSelection Select(int count, int seed, CancellationToken cancellationToken = default)
    {
        if (count > MaxImages) throw new DatasetException($"The built-in dataset has at most {MaxImages:N0} images; {count:N0} were asked for.");
        var labels = Enumerable.Range(0, MaxImages).Select(i => i / PerClass).ToArray();
        var picked = StratifiedSampler.Subset(labels, count, seed);
        var samples = new List<ImageSample>(picked.Count);
        foreach (var i in picked)
        {
            cancellationToken.ThrowIfCancellationRequested();
            samples.Add(new FileImageSample(labels[i], EnsureTile(labels[i], i % PerClass)));
        }
        return new(AerialTileGenerator.ClassNames, samples);
    }

    private string EnsureTile(int classIndex, int index)
    {
        var folder = Path.Combine(cacheFolder, "builtin-v2", AerialTileGenerator.ClassNames[classIndex]);
        var path = Path.Combine(folder, $"{index:D5}.png");
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(folder);
        using var bitmap = AerialTileGenerator.Draw(classIndex, index);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        // Write then rename, so a cancelled or concurrent generation never leaves half a file.
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var file = File.Create(temp)) data.SaveTo(file);
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
