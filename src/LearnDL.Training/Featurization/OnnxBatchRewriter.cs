using static LearnDL.Training.Featurization.Protobuf;

namespace LearnDL.Training.Featurization;

/// <summary>
/// Makes the first (batch) dimension of an ONNX model's inputs and outputs symbolic. The ResNet18
/// files that ship with ML.NET fix it at 1, which forces one image per call; every operator in them
/// (Conv, BatchNormalization, Relu, MaxPool, Add, AveragePool, Split, Concat, Sub) works on any batch.
/// Works on the protobuf wire format directly: only the graph's input, output and value_info
/// messages change, everything else (the 60 MB of weights) is copied through untouched.
/// </summary>
public static class OnnxBatchRewriter
{
    private const int ModelGraph = 7;                                  // ModelProto.graph
    private const int GraphInput = 11, GraphOutput = 12, GraphValueInfo = 13;
    private const int ValueInfoType = 2, TypeTensor = 1, TensorShape = 2, ShapeDim = 1;
    private const int DimParam = 2;                                  // replaces dim_value (1)

    public static byte[] MakeBatchSymbolic(byte[] model, string batchName = "batch")
    {
        using var output = new MemoryStream(model.Length);
        foreach (var field in Fields(model))
        {
            if (field.Number == ModelGraph) Protobuf.WriteMessage(output, field.Number, RewriteGraph(field.Value(model), batchName));
            else output.Write(model, field.Start, field.End - field.Start);
        }
        return output.ToArray();
    }

    private static byte[] RewriteGraph(ReadOnlySpan<byte> graph, string batchName)
    {
        var bytes = graph.ToArray();
        using var output = new MemoryStream(bytes.Length);
        foreach (var field in Fields(bytes))
        {
            // Intermediate shape hints would pin the batch back to 1; ONNX Runtime infers them itself.
            if (field.Number == GraphValueInfo) continue;
            if (field.Number is GraphInput or GraphOutput)
                Protobuf.WriteMessage(output, field.Number, Rewrite(field.Value(bytes), [ValueInfoType, TypeTensor, TensorShape], batchName));
            else output.Write(bytes, field.Start, field.End - field.Start);
        }
        return output.ToArray();
    }

    /// <summary>Follows <paramref name="path"/> down to the TensorShapeProto and rewrites its first dim.</summary>
    private static byte[] Rewrite(ReadOnlySpan<byte> message, int[] path, string batchName)
    {
        var bytes = message.ToArray();
        using var output = new MemoryStream(bytes.Length + 8);
        bool firstDim = true;
        foreach (var field in Fields(bytes))
        {
            if (path.Length > 0 && field.Number == path[0] && field.Wire == 2)
                Protobuf.WriteMessage(output, field.Number, Rewrite(field.Value(bytes), path[1..], batchName));
            else if (path.Length == 0 && field.Number == ShapeDim && firstDim)
            {
                firstDim = false;
                using var dim = new MemoryStream();
                Protobuf.WriteString(dim, DimParam, batchName);
                Protobuf.WriteMessage(output, ShapeDim, dim.ToArray());
            }
            else output.Write(bytes, field.Start, field.End - field.Start);
        }
        return output.ToArray();
    }
}
