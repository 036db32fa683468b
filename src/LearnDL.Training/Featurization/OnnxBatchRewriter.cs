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

    private readonly record struct Field(int Number, int Wire, int Start, int ValueStart, int End)
    {
        public ReadOnlySpan<byte> Value(byte[] source) => source.AsSpan(ValueStart, End - ValueStart);
    }

    private static List<Field> Fields(byte[] data)
    {
        var fields = new List<Field>();
        int p = 0;
        while (p < data.Length)
        {
            int start = p;
            ulong tag = ReadVarint(data, ref p);
            int wire = (int)(tag & 7), valueStart = p;
            switch (wire)
            {
                case 0: ReadVarint(data, ref p); break;
                case 1: p += 8; break;
                case 5: p += 4; break;
                case 2:
                    int length = checked((int)ReadVarint(data, ref p));
                    valueStart = p;
                    p += length;
                    break;
                default: throw new InvalidDataException($"Unsupported protobuf wire type {wire} in the ONNX model.");
            }
            if (p > data.Length) throw new InvalidDataException("The ONNX model is truncated.");
            fields.Add(new Field((int)(tag >> 3), wire, start, valueStart, p));
        }
        return fields;
    }

    private static ulong ReadVarint(byte[] data, ref int p)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[p++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return result;
        }
    }
}
