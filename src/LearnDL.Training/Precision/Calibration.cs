using Microsoft.ML.OnnxRuntime;

namespace LearnDL.Training.Precision;

/// <summary>How an activation's 8-bit range is chosen from the calibration images.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen: nothing is clipped, but one outlier stretches the grid for all.</summary>
    MinMax,
    /// <summary>The range that holds all but the most extreme 0.01% of values (a histogram per tensor): rare outliers are clipped, the rest get a finer grid.</summary>
    Percentile,
}

/// <summary>
/// Measures the ranges of the activations to be quantized by running the FP32 model itself through ONNX
/// Runtime on calibration images, with each of those tensors added as an extra graph output.
/// </summary>
internal sealed class Calibration
{
    private const int Bins = 4096;
    public const double KeptShare = 0.9999;

    private readonly byte[] _model;
    private readonly List<string> _tensors;

    public Calibration(OnnxModel fp32)
    {
        _tensors = QdqQuantizer.Activations(fp32);
        foreach (var name in _tensors) fp32.AddFloatOutput(name);
        _model = fp32.ToBytes();
    }

    public Dictionary<string, ActivationRange> Measure(IReadOnlyList<float[]> batches, CalibrationMethod method, CancellationToken cancellationToken = default)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(_model, options);
        var input = session.InputNames[0];
        var minMax = _tensors.ToDictionary(t => t, _ => (Min: float.PositiveInfinity, Max: float.NegativeInfinity));
        foreach (var (name, values) in Run(session, input, batches, cancellationToken))
        {
            var (min, max) = minMax[name];
            foreach (var v in values) { if (v < min) min = v; if (v > max) max = v; }
            minMax[name] = (min, max);
        }
        if (method == CalibrationMethod.MinMax) return minMax.ToDictionary(kv => kv.Key, kv => new ActivationRange(kv.Value.Min, kv.Value.Max));

        // A second pass: a histogram over each tensor's full range, then the range that keeps KeptShare of the values.
        var histograms = _tensors.ToDictionary(t => t, _ => new long[Bins]);
        foreach (var (name, values) in Run(session, input, batches, cancellationToken))
        {
            var (min, max) = minMax[name];
            var width = (max - min) / Bins;
            if (width <= 0) continue;
            var histogram = histograms[name];
            foreach (var v in values) histogram[Math.Min((int)((v - min) / width), Bins - 1)]++;
        }
        return _tensors.ToDictionary(t => t, t => Kept(histograms[t], minMax[t].Min, minMax[t].Max));
    }

    /// <summary>The narrowest range, cut evenly from both tails, that still holds <see cref="KeptShare"/> of the values.</summary>
    private static ActivationRange Kept(long[] histogram, float min, float max)
    {
        var total = histogram.Sum();
        if (total == 0 || max <= min) return new(min, max);
        var cut = (long)(total * (1 - KeptShare) / 2);
        int low = 0, high = Bins - 1;
        for (long seen = 0; low < high && seen + histogram[low] <= cut; low++) seen += histogram[low];
        for (long seen = 0; high > low && seen + histogram[high] <= cut; high--) seen += histogram[high];
        var width = (max - min) / Bins;
        // A tensor that is never negative (after ReLU) keeps 0 as its bottom, so the ReLU can still be fused away.
        return new(min >= 0 ? min : min + low * width, max - (Bins - 1 - high) * width);
    }

    private IEnumerable<(string Name, float[] Values)> Run(InferenceSession session, string input, IReadOnlyList<float[]> batches, CancellationToken cancellationToken)
    {
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = batch.Length / Featurization.ResNet18Model.PixelsPerImage;
            using var tensor = OrtValue.CreateTensorValueFromMemory(batch, [count, 3, Featurization.ResNet18Model.InputSize, Featurization.ResNet18Model.InputSize]);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [input], [tensor], _tensors);
            for (int i = 0; i < _tensors.Count; i++) yield return (_tensors[i], outputs[i].GetTensorDataAsSpan<float>().ToArray());
        }
    }
}
