using LearnDL.Training.Compute;
using LearnDL.Training.Featurization;

namespace LearnDL.Training.Precision;

/// <summary>How far one network's 512 features are from another's on the same images.</summary>
/// <param name="MaxAbsDifference">The largest difference of any feature of any image.</param>
/// <param name="RelativeDifference">That difference over the largest feature (how much of the features' scale it is).</param>
/// <param name="MeanCosine">The mean cosine similarity of each image's two feature vectors (1 = the same direction).</param>
public sealed record FeatureDifference(int Images, double MaxAbsDifference, double RelativeDifference, double MeanCosine)
{
    public static FeatureDifference Between(float[] reference, float[] other)
    {
        int images = reference.Length / ResNet18Model.FeatureCount;
        double maxDiff = 0, maxAbs = 0, cosines = 0;
        for (int image = 0; image < images; image++)
        {
            double dot = 0, a = 0, b = 0;
            for (int i = image * ResNet18Model.FeatureCount; i < (image + 1) * ResNet18Model.FeatureCount; i++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(reference[i] - other[i]));
                maxAbs = Math.Max(maxAbs, Math.Abs(reference[i]));
                dot += reference[i] * other[i];
                a += reference[i] * reference[i];
                b += other[i] * other[i];
            }
            cosines += a == 0 || b == 0 ? (a == b ? 1 : 0) : dot / Math.Sqrt(a * b);
        }
        return new(images, maxDiff, maxAbs > 0 ? maxDiff / maxAbs : 0, images > 0 ? cosines / images : 1);
    }

    /// <summary>The features of every image in <paramref name="batches"/> through <paramref name="model"/> on the CPU.</summary>
    public static float[] Features(byte[] model, IReadOnlyList<float[]> batches)
    {
        using var network = new ResNet18Model(ComputeDevice.Cpu, model, threads: 0);
        var features = new float[batches.Sum(b => b.Length) / ResNet18Model.PixelsPerImage * ResNet18Model.FeatureCount];
        int at = 0;
        foreach (var batch in batches)
        {
            var count = batch.Length / ResNet18Model.PixelsPerImage;
            network.Featurize(batch, count, features.AsSpan(at, count * ResNet18Model.FeatureCount));
            at += count * ResNet18Model.FeatureCount;
        }
        return features;
    }
}

/// <summary>
/// What ONNX Runtime really runs for a quantized model: its optimized graph's operators. Integer kernels show
/// as QLinearConv/QLinearAdd; a DequantizeLinear feeding a float Conv would mean the quantization bought nothing.
/// </summary>
public sealed record IntegerKernels(int QLinearConv, int QLinearAdd, int FloatConv, int DequantizeLinear)
{
    public bool RunsOnIntegers => QLinearConv > 0 && FloatConv == 0;

    public static IntegerKernels Of(byte[] model)
    {
        var ops = new OnnxModel(ResNet18Model.OptimizedGraph(model)).Nodes.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        int Count(string op) => ops.GetValueOrDefault(op);
        return new(Count("QLinearConv"), Count("QLinearAdd"), Count("Conv") + Count("FusedConv"), Count("DequantizeLinear"));
    }

    public string Describe() => RunsOnIntegers
        ? $"on integer kernels: {QLinearConv} QLinearConv, {QLinearAdd} QLinearAdd, no float convolution left"
        : $"with {FloatConv} float convolutions still ({QLinearConv} QLinearConv): its integer kernels were not used";
}
