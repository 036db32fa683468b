using System.IO.Compression;
using System.Text.Json;
using LearnDL.Training.Featurization;

namespace LearnDL.Training.Runs;

/// <summary>
/// How far a picture's ResNet18 features are from the pictures a model learned from. A head always
/// answers with one of its classes, even for a screenshot shown to a clothes classifier; this is how
/// LearnDL tells the learner that an answer is a guess. Measured when the model is saved: the centre
/// of each class's training features, and how far from its nearest centre the farthest held-out
/// picture was (pictures of the same kind that the head never saw). A picture farther than that from
/// every class is unlike anything the model was shown. Kept inside the model file, beside ML.NET's own
/// entries (ML.NET reads its entries by name and ignores the rest).
/// </summary>
public sealed class Familiarity
{
    private const string EntryName = "LearnDL/familiarity.json";

    public required IReadOnlyList<string> Classes { get; init; }
    public required IReadOnlyList<float[]> Centres { get; init; }
    /// <summary>The largest distance from a held-out picture to its nearest class centre.</summary>
    public required double FarthestHeldOut { get; init; }
    public required int HeldOutImages { get; init; }

    /// <summary>Class centres from the training rows; the yardstick from the held-out rows.</summary>
    public static Familiarity Measure(IReadOnlyList<string> classes, FeatureSet features, IReadOnlyList<int> labels,
        IReadOnlyList<int> trainRows, IReadOnlyList<int> heldOutRows)
    {
        var width = ResNet18Model.FeatureCount;
        var sums = classes.Select(_ => new double[width]).ToArray();
        var counts = new int[classes.Count];
        foreach (var row in trainRows)
        {
            var values = features.Row(row);
            var sum = sums[labels[row]];
            for (int i = 0; i < width; i++) sum[i] += values[i];
            counts[labels[row]]++;
        }
        // A class with no training picture has no centre: it cannot vouch for anything.
        var present = Enumerable.Range(0, classes.Count).Where(c => counts[c] > 0).ToList();
        var centres = present.Select(c => sums[c].Select(s => (float)(s / counts[c])).ToArray()).ToList();
        var farthest = heldOutRows.Max(row => Nearest(centres, features.Row(row)).Distance);
        return new Familiarity
        {
            Classes = present.Select(c => classes[c]).ToList(),
            Centres = centres,
            FarthestHeldOut = farthest,
            HeldOutImages = heldOutRows.Count,
        };
    }

    /// <summary>How this picture's features compare with the held-out pictures'.</summary>
    public Likeness Judge(ReadOnlySpan<float> features)
    {
        var (nearest, distance) = Nearest(Centres, features);
        return new Likeness(Classes[nearest], distance, FarthestHeldOut, HeldOutImages);
    }

    /// <summary>
    /// The nearest class centre by cosine distance (1 - cosine of the angle between the feature vectors). The angle,
    /// not the length: measured here on the built-in set, every screenshot, noise and blank picture tried was at least
    /// 2.1x farther than the farthest held-out picture by angle, while by straight-line distance most were nearer.
    /// </summary>
    private static (int Index, double Distance) Nearest(IReadOnlyList<float[]> centres, ReadOnlySpan<float> features)
    {
        var best = (Index: -1, Distance: double.PositiveInfinity);
        for (int c = 0; c < centres.Count; c++)
        {
            double dot = 0, own = 0, theirs = 0;
            var centre = centres[c];
            for (int i = 0; i < centre.Length; i++)
            {
                dot += features[i] * centre[i];
                own += features[i] * features[i];
                theirs += centre[i] * centre[i];
            }
            var distance = own == 0 || theirs == 0 ? 1 : 1 - dot / Math.Sqrt(own * theirs);
            if (distance < best.Distance) best = (c, distance);
        }
        return best;
    }

    /// <summary>Adds this measurement to a saved ML.NET model file.</summary>
    public void WriteInto(string modelPath)
    {
        using var zip = ZipFile.Open(modelPath, ZipArchiveMode.Update);
        zip.GetEntry(EntryName)?.Delete();
        using var stream = zip.CreateEntry(EntryName, CompressionLevel.Fastest).Open();
        JsonSerializer.Serialize(stream, new Stored(Classes, Centres, FarthestHeldOut, HeldOutImages));
    }

    /// <summary>The measurement saved with a model, or null for a model saved before LearnDL measured it.</summary>
    public static Familiarity? ReadFrom(string modelPath)
    {
        using var zip = ZipFile.OpenRead(modelPath);
        if (zip.GetEntry(EntryName) is not { } entry) return null;
        using var stream = entry.Open();
        var stored = JsonSerializer.Deserialize<Stored>(stream);
        if (stored is null || stored.Classes.Count == 0 || stored.Classes.Count != stored.Centres.Count) return null;
        return new Familiarity { Classes = stored.Classes, Centres = stored.Centres, FarthestHeldOut = stored.FarthestHeldOut, HeldOutImages = stored.HeldOutImages };
    }

    private sealed record Stored(IReadOnlyList<string> Classes, IReadOnlyList<float[]> Centres, double FarthestHeldOut, int HeldOutImages);
}

/// <summary>How a picture's features compare with the held-out pictures' distances to their nearest class.</summary>
public sealed record Likeness(string NearestClass, double Distance, double FarthestHeldOut, int HeldOutImages)
{
    /// <summary>Farther from every class than any held-out picture was.</summary>
    public bool IsUnlikeTrainingData => Distance > FarthestHeldOut;

    /// <summary>The distance as a multiple of the farthest held-out picture's: at most 1 for pictures like the training data.</summary>
    public double Ratio => Distance / Math.Max(FarthestHeldOut, 1e-9);

    /// <summary>What to tell the learner when the picture is unlike the training data; null when it is not.</summary>
    public string? Warning => IsUnlikeTrainingData
        ? $"This picture is unlike anything the model was trained on: ResNet18's features for it differ from the nearest class " +
          $"({NearestClass}) {Ratio:0.0} times as much as the most unusual of the {HeldOutImages} held-out pictures did. " +
          "The model still has to answer with one of its classes, so treat its answer as a guess."
        : null;
}
