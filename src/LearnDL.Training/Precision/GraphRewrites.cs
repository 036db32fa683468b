namespace LearnDL.Training.Precision;

/// <summary>
/// The FP32 rewrites that come before quantization: the CNTK export's opset 8 lifted to opset 13 (where
/// DequantizeLinear takes a scale per channel), and each BatchNormalization folded into the Conv before it.
/// </summary>
internal static class GraphRewrites
{
    public const int Opset = 13;

    /// <summary>
    /// Opset 8 to 13 for the operators in ResNet18 and its preprocessing graph: BatchNormalization lost
    /// `spatial` in opset 9; Split takes its sizes as an input since opset 13; an empty `auto_pad` is
    /// left out (NOTSET is its default). The others (Conv, Relu, Add, MaxPool, AveragePool, Concat, Sub)
    /// mean the same at 13.
    /// </summary>
    public static void LiftToOpset13(OnnxModel model)
    {
        if (model.Opsets.GetValueOrDefault("") > Opset) throw new InvalidDataException($"The model already uses opset {model.Opsets[""]}.");
        model.Opsets[""] = Opset;
        model.IrVersion = Math.Max(model.IrVersion, 7);
        foreach (var node in model.Nodes)
        {
            node.Attributes.RemoveAll(a => a.Name == "spatial" && node.OpType == "BatchNormalization");
            node.Attributes.RemoveAll(a => a.Name == "auto_pad" && a.Raw.Length > 0 && IsEmptyString(a));
            if (node.OpType == "Split" && node.Attribute("split") is { } split)
            {
                var sizes = $"{node.Outputs[0]}_split_sizes";
                model.Initializers[sizes] = OnnxTensor.Of(sizes, [split.Ints.Count], split.Ints.ToArray());
                node.Attributes.Remove(split);
                node.Inputs.Add(sizes);
            }
        }
    }

    private static bool IsEmptyString(OnnxAttribute attribute) =>
        !Featurization.Protobuf.Fields(attribute.Raw).Any(f => f.Number == 4 && f.End > f.ValueStart); // AttributeProto.s

    /// <summary>
    /// Folds every BatchNormalization that is the only reader of a Conv's output into that Conv: for output
    /// channel c, W'[c] = W[c] * g[c] / sqrt(v[c] + e) and b'[c] = (b[c] - m[c]) * g[c] / sqrt(v[c] + e) + beta[c].
    /// Exact up to float rounding; one operator fewer per layer, and the weights quantization sees are the ones that run.
    /// </summary>
    public static int FoldBatchNormalization(OnnxModel model)
    {
        int folded = 0;
        foreach (var norm in model.Nodes.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            if (model.Writer(norm.Inputs[0]) is not { OpType: "Conv" } conv || model.Readers(conv.Outputs[0]).Count() != 1) continue;
            var w = model.Initializers[conv.Inputs[1]];
            var weights = w.Floats;
            var channels = (int)w.Dims[0];
            var perChannel = weights.Length / channels;
            var bias = conv.Inputs.Count > 2 ? model.Initializers[conv.Inputs[2]].Floats : new float[channels];
            var (gamma, beta, mean, variance) = (Values(model, norm, 1), Values(model, norm, 2), Values(model, norm, 3), Values(model, norm, 4));
            var epsilon = norm.Attribute("epsilon")?.Float ?? 1e-5f;
            var newBias = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                var factor = gamma[c] / MathF.Sqrt(variance[c] + epsilon);
                for (int i = 0; i < perChannel; i++) weights[c * perChannel + i] *= factor;
                newBias[c] = (bias[c] - mean[c]) * factor + beta[c];
            }
            model.Initializers[w.Name] = OnnxTensor.Of(w.Name, w.Dims, weights);
            var biasName = $"{conv.Outputs[0]}_folded_bias";
            model.Initializers[biasName] = OnnxTensor.Of(biasName, [channels], newBias);
            if (conv.Inputs.Count > 2) conv.Inputs[2] = biasName; else conv.Inputs.Add(biasName);
            conv.Outputs[0] = norm.Outputs[0];
            model.Nodes.Remove(norm);
            folded++;
        }
        RemoveUnusedInitializers(model);
        return folded;
    }

    private static float[] Values(OnnxModel model, OnnxNode node, int input) => model.Initializers[node.Inputs[input]].Floats;

    public static void RemoveUnusedInitializers(OnnxModel model)
    {
        var used = model.Nodes.SelectMany(n => n.Inputs).ToHashSet();
        foreach (var name in model.Initializers.Keys.Where(k => !used.Contains(k)).ToList()) model.Initializers.Remove(name);
    }
}
