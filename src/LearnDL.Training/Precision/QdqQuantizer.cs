namespace LearnDL.Training.Precision;

/// <summary>A tensor's calibrated range, and the 8-bit grid it is put on.</summary>
public readonly record struct ActivationRange(float Min, float Max)
{
    /// <summary>uint8, asymmetric: the grid covers [min, max] and always holds 0 exactly (padding and ReLU need it).</summary>
    public (float Scale, byte ZeroPoint) UInt8()
    {
        var (low, high) = (Math.Min(Min, 0f), Math.Max(Max, 0f));
        var scale = high > low ? (high - low) / 255f : 1f;
        return (scale, (byte)Math.Clamp(MathF.Round(-low / scale), 0, 255));
    }
}

/// <summary>
/// Static quantization in QDQ form, as ONNX Runtime expects it to run integer kernels: every activation a Conv
/// reads, every ReLU output and every Conv output that feeds an Add gets a QuantizeLinear/DequantizeLinear
/// pair (uint8, per tensor, from its calibrated range); each Conv's weights become int8 with one symmetric
/// scale per output channel, and its bias int32 at the scale of input times weight. ONNX Runtime then fuses
/// DQ-Conv-(Relu)-Q into QLinearConv and DQ-Add-(Relu)-Q into QLinearAdd. The graph's inputs and outputs stay
/// float, so the engine feeds and reads the quantized network exactly like the FP32 one.
/// </summary>
internal static class QdqQuantizer
{
    /// <summary>The activations that get a quantize/dequantize pair; calibration measures exactly these.</summary>
    public static List<string> Activations(OnnxModel model)
    {
        var names = new List<string>();
        foreach (var node in model.Nodes)
        {
            if (node.OpType == "Conv" && model.Initializers.ContainsKey(node.Inputs[1])) names.Add(node.Inputs[0]);
            if (node.OpType is "Relu" or "MaxPool") names.Add(node.Outputs[0]);
            if (node.OpType == "Conv" && model.Readers(node.Outputs[0]).Any(r => r.OpType != "Relu")) names.Add(node.Outputs[0]);
        }
        return names.Distinct().ToList();
    }

    public static void Quantize(OnnxModel model, IReadOnlyDictionary<string, ActivationRange> ranges)
    {
        var grids = new Dictionary<string, (float Scale, byte ZeroPoint)>();
        foreach (var name in Activations(model))
        {
            // MaxPool works on uint8 as it is when its input and output share one grid: ONNX Runtime then drops its Q/DQ.
            var range = model.Writer(name) is { OpType: "MaxPool" } pool && ranges.ContainsKey(pool.Inputs[0]) ? ranges[pool.Inputs[0]] : ranges[name];
            grids[name] = range.UInt8();
        }
        foreach (var conv in model.Nodes.Where(n => n.OpType == "Conv").ToList())
            QuantizeWeights(model, conv, grids[conv.Inputs[0]].Scale);
        foreach (var (name, grid) in grids) InsertPair(model, name, grid);
        GraphRewrites.RemoveUnusedInitializers(model);
    }

    private static void InsertPair(OnnxModel model, string tensor, (float Scale, byte ZeroPoint) grid)
    {
        var (scale, zeroPoint, quantized, dequantized) = ($"{tensor}_scale", $"{tensor}_zero_point", $"{tensor}_quantized", $"{tensor}_dequantized");
        model.Initializers[scale] = OnnxTensor.Of(scale, [], new[] { grid.Scale });
        model.Initializers[zeroPoint] = OnnxTensor.Of(zeroPoint, [], new[] { grid.ZeroPoint });
        var readers = model.Readers(tensor).ToList();
        var q = new OnnxNode { OpType = "QuantizeLinear", Name = quantized, Inputs = [tensor, scale, zeroPoint], Outputs = [quantized] };
        var dq = new OnnxNode { OpType = "DequantizeLinear", Name = dequantized, Inputs = [quantized, scale, zeroPoint], Outputs = [dequantized] };
        foreach (var reader in readers)
            for (int i = 0; i < reader.Inputs.Count; i++)
                if (reader.Inputs[i] == tensor) reader.Inputs[i] = dequantized;
        // Right after the node that writes the tensor, so the node list stays in execution order.
        var at = model.Writer(tensor) is { } writer ? model.Nodes.IndexOf(writer) + 1 : 0;
        model.Nodes.InsertRange(at, [q, dq]);
    }

    /// <summary>int8 weights, one symmetric scale per output channel; the bias as int32 at input scale x weight scale.</summary>
    private static void QuantizeWeights(OnnxModel model, OnnxNode conv, float inputScale)
    {
        var w = model.Initializers[conv.Inputs[1]];
        var weights = w.Floats;
        var channels = (int)w.Dims[0];
        var perChannel = weights.Length / channels;
        var scales = new float[channels];
        var quantized = new sbyte[weights.Length];
        for (int c = 0; c < channels; c++)
        {
            var span = weights.AsSpan(c * perChannel, perChannel);
            float largest = 0;
            foreach (var v in span) largest = Math.Max(largest, Math.Abs(v));
            scales[c] = largest > 0 ? largest / 127f : 1f;
            for (int i = 0; i < perChannel; i++)
                quantized[c * perChannel + i] = (sbyte)Math.Clamp(MathF.Round(span[i] / scales[c]), -127, 127);
        }
        conv.Inputs[1] = PerChannel(model, conv, OnnxTensor.Of($"{w.Name}_int8", w.Dims, quantized),
            OnnxTensor.Of($"{w.Name}_scale", [channels], scales), OnnxTensor.Of($"{w.Name}_zero_point", [channels], new sbyte[channels]));

        if (conv.Inputs.Count < 3) return;
        var b = model.Initializers[conv.Inputs[2]];
        var biasScales = scales.Select(s => s * inputScale).ToArray();
        var biasInt = b.Floats.Select((v, c) => (int)Math.Clamp(Math.Round(v / biasScales[c]), int.MinValue + 1, int.MaxValue)).ToArray();
        conv.Inputs[2] = PerChannel(model, conv, OnnxTensor.Of($"{b.Name}_int32", b.Dims, biasInt),
            OnnxTensor.Of($"{b.Name}_scale", [channels], biasScales), OnnxTensor.Of($"{b.Name}_zero_point", [channels], new int[channels]));
    }

    /// <summary>Integer values dequantized per output channel (axis 0) just before <paramref name="reader"/>; returns the float tensor's name.</summary>
    private static string PerChannel(OnnxModel model, OnnxNode reader, OnnxTensor values, OnnxTensor scales, OnnxTensor zeroPoints)
    {
        foreach (var tensor in new[] { values, scales, zeroPoints }) model.Initializers[tensor.Name] = tensor;
        var output = $"{values.Name}_dequantized";
        model.Nodes.Insert(model.Nodes.IndexOf(reader), new OnnxNode
        {
            OpType = "DequantizeLinear", Name = output, Inputs = [values.Name, scales.Name, zeroPoints.Name], Outputs = [output],
            Attributes = [OnnxAttribute.Of("axis", 0L)],
        });
        return output;
    }
}
