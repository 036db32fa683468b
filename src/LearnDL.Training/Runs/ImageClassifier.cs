using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Featurization;
using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

namespace LearnDL.Training.Runs;

/// <summary>One class and how sure the model is of it.</summary>
public sealed record ClassScore(string Label, double Probability);

/// <summary>A picture's classes from most to least likely, and how like the training data it is (null for a model saved without that measure).</summary>
public sealed record Classification(IReadOnlyList<ClassScore> Scores, Likeness? Likeness);

/// <summary>
/// A trained model put back to work: the ML.NET head loaded from its model file, fed by the same
/// ResNet18 featurization the run used. Not thread-safe (it owns one PredictionEngine).
/// </summary>
public sealed class ImageClassifier : IDisposable
{
    private readonly ResNet18Model _network;
    private readonly bool _ownsNetwork;
    private readonly PredictionEngine<FeatureRow, HeadPrediction> _engine;
    private readonly ImagePreprocessor _preprocessor = new();
    private readonly string[] _classes;
    private readonly Familiarity? _familiarity;

    private ImageClassifier(ResNet18Model network, bool ownsNetwork, PredictionEngine<FeatureRow, HeadPrediction> engine, Familiarity? familiarity)
    {
        (_network, _ownsNetwork, _engine, _familiarity) = (network, ownsNetwork, engine, familiarity);
        VBuffer<ReadOnlyMemory<char>> names = default;
        engine.OutputSchema[nameof(HeadPrediction.Score)].GetSlotNames(ref names);
        _classes = names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    public IReadOnlyList<string> Classes => _classes;

    /// <summary>Saves the head (features in, class name out) as an ML.NET model file, with how familiar pictures look; returns its full path.</summary>
    public static string Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, string path, Familiarity familiarity)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        ml.Model.Save(model, inputSchema, full);
        familiarity.WriteInto(full);
        return full;
    }

    /// <summary>Loads a saved model with a network of its own (the command line).</summary>
    public static ImageClassifier Load(string modelPath, ComputeDevice device = ComputeDevice.Cpu) => Load(modelPath, new ResNet18Model(device), ownsNetwork: true);

    /// <summary>Loads a saved model that borrows an already loaded network (a server classifying for many runs).</summary>
    public static ImageClassifier Load(string modelPath, ResNet18Model network) => Load(modelPath, network, ownsNetwork: false);

    private static ImageClassifier Load(string modelPath, ResNet18Model network, bool ownsNetwork)
    {
        var ml = new MLContext();
        ITransformer model;
        Familiarity? familiarity;
        try
        {
            using (var stream = File.OpenRead(modelPath)) model = ml.Model.Load(stream, out _);
            familiarity = Familiarity.ReadFrom(modelPath);
        }
        catch
        {
            if (ownsNetwork) network.Dispose();
            throw;
        }
        return new ImageClassifier(network, ownsNetwork, ml.Model.CreatePredictionEngine<FeatureRow, HeadPrediction>(model), familiarity);
    }

    /// <summary>Classes from most to least likely, or null when the file is not a readable image.</summary>
    public IReadOnlyList<ClassScore>? Classify(string imagePath)
    {
        using var image = new FileImageSample(0, imagePath).Decode();
        return image is null ? null : Classify(image);
    }

    public IReadOnlyList<ClassScore> Classify(SKBitmap image) => Examine(image).Scores;

    /// <summary>The classes, and whether the picture is like anything the model was trained on.</summary>
    public Classification Examine(SKBitmap image)
    {
        var pixels = new float[ResNet18Model.PixelsPerImage];
        _preprocessor.Write(image, pixels);
        var features = new float[ResNet18Model.FeatureCount];
        _network.Featurize(pixels, 1, features);
        var prediction = _engine.Predict(new FeatureRow { Features = features });
        var scores = prediction.Score.Select((p, i) => new ClassScore(_classes[i], p)).OrderByDescending(s => s.Probability).ToList();
        return new Classification(scores, _familiarity?.Judge(features));
    }

    public void Dispose()
    {
        _engine.Dispose();
        if (_ownsNetwork) _network.Dispose();
    }
}
