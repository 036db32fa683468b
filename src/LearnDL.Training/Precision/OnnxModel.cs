using System.Runtime.InteropServices;
using System.Text;
using LearnDL.Training.Featurization;
using static LearnDL.Training.Featurization.Protobuf;

namespace LearnDL.Training.Precision;

/// <summary>An ONNX attribute: its name and its protobuf bytes, kept whole so that what is not rewritten passes through.</summary>
internal sealed record OnnxAttribute(string Name, byte[] Raw)
{
    private const int AttrName = 1, AttrFloat = 2, AttrInt = 3, AttrInts = 8, AttrType = 20;
    private const int TypeFloat = 1, TypeInt = 2, TypeInts = 7;

    public long? Int => Fields(Raw).Where(f => f.Number == AttrInt).Select(f => (long?)Varint(f.Value(Raw))).FirstOrDefault();

    public float? Float => Fields(Raw).Where(f => f.Number == AttrFloat).Select(f => (float?)BitConverter.ToSingle(f.Value(Raw))).FirstOrDefault();

    public IReadOnlyList<long> Ints => Fields(Raw).Where(f => f.Number == AttrInts).SelectMany(f => f.Wire == 2 ? Varints(f.Value(Raw)) : [Varint(f.Value(Raw))]).ToList();

    public static OnnxAttribute Of(string name, long value) => new(name, Write(s => { WriteString(s, AttrName, name); WriteInt(s, AttrType, TypeInt); WriteInt(s, AttrInt, value); }));

    public static OnnxAttribute Of(string name, float value) => new(name, Write(s =>
    {
        WriteString(s, AttrName, name);
        WriteInt(s, AttrType, TypeFloat);
        WriteFixed32(s, AttrFloat, BitConverter.SingleToUInt32Bits(value));
    }));

    public static OnnxAttribute Of(string name, IReadOnlyList<long> values) => new(name, Write(s =>
    {
        WriteString(s, AttrName, name);
        WriteInt(s, AttrType, TypeInts);
        foreach (var v in values) WriteInt(s, AttrInts, v);
    }));

    public static OnnxAttribute Read(byte[] raw) => new(Encoding.UTF8.GetString(Fields(raw).First(f => f.Number == AttrName).Value(raw)), raw);

    private static byte[] Write(Action<Stream> write)
    {
        using var s = new MemoryStream();
        write(s);
        return s.ToArray();
    }
}

/// <summary>One node of the graph: an operator with its input and output names.</summary>
internal sealed class OnnxNode
{
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5, NodeDomain = 7;

    public required string OpType { get; init; }
    public string Name { get; init; } = "";
    public string Domain { get; init; } = "";
    public required List<string> Inputs { get; init; }
    public required List<string> Outputs { get; init; }
    public List<OnnxAttribute> Attributes { get; init; } = [];

    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);

    public static OnnxNode Read(byte[] raw)
    {
        var fields = Fields(raw);
        string Text(Protobuf.Field f) => Encoding.UTF8.GetString(f.Value(raw));
        return new OnnxNode
        {
            OpType = fields.Where(f => f.Number == NodeOpType).Select(Text).Single(),
            Name = fields.Where(f => f.Number == NodeName).Select(Text).FirstOrDefault() ?? "",
            Domain = fields.Where(f => f.Number == NodeDomain).Select(Text).FirstOrDefault() ?? "",
            Inputs = fields.Where(f => f.Number == NodeInput).Select(Text).ToList(),
            Outputs = fields.Where(f => f.Number == NodeOutput).Select(Text).ToList(),
            Attributes = fields.Where(f => f.Number == NodeAttribute).Select(f => OnnxAttribute.Read(f.Value(raw).ToArray())).ToList(),
        };
    }

    public void Write(Stream output)
    {
        foreach (var input in Inputs) WriteString(output, NodeInput, input);
        foreach (var o in Outputs) WriteString(output, NodeOutput, o);
        if (Name.Length > 0) WriteString(output, NodeName, Name);
        WriteString(output, NodeOpType, OpType);
        foreach (var a in Attributes) WriteMessage(output, NodeAttribute, a.Raw);
        if (Domain.Length > 0) WriteString(output, NodeDomain, Domain);
    }

    public override string ToString() => $"{OpType}({string.Join(", ", Inputs)}) -> {string.Join(", ", Outputs)}";
}

/// <summary>ONNX's element types, as TensorProto numbers them.</summary>
internal enum OnnxType { Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7 }

/// <summary>A weight or constant of the graph, its values read into memory.</summary>
internal sealed class OnnxTensor
{
    private const int TensorDims = 1, TensorType = 2, TensorFloats = 4, TensorInt32s = 5, TensorInt64s = 7, TensorName = 8, TensorRaw = 9;

    public required string Name { get; init; }
    public required long[] Dims { get; init; }
    public required OnnxType Type { get; init; }
    /// <summary>The values as little-endian bytes (ONNX's raw_data).</summary>
    public required byte[] Data { get; init; }

    public float[] Floats => Type == OnnxType.Float ? MemoryMarshal.Cast<byte, float>(Data).ToArray() : throw new InvalidDataException($"{Name} holds {Type}, not floats.");
    public long[] Longs => Type == OnnxType.Int64 ? MemoryMarshal.Cast<byte, long>(Data).ToArray() : throw new InvalidDataException($"{Name} holds {Type}, not int64.");

    public static OnnxTensor Of(string name, long[] dims, float[] values) => new() { Name = name, Dims = dims, Type = OnnxType.Float, Data = MemoryMarshal.AsBytes(values.AsSpan()).ToArray() };
    public static OnnxTensor Of(string name, long[] dims, sbyte[] values) => new() { Name = name, Dims = dims, Type = OnnxType.Int8, Data = MemoryMarshal.AsBytes(values.AsSpan()).ToArray() };
    public static OnnxTensor Of(string name, long[] dims, byte[] values) => new() { Name = name, Dims = dims, Type = OnnxType.UInt8, Data = values };
    public static OnnxTensor Of(string name, long[] dims, int[] values) => new() { Name = name, Dims = dims, Type = OnnxType.Int32, Data = MemoryMarshal.AsBytes(values.AsSpan()).ToArray() };
    public static OnnxTensor Of(string name, long[] dims, long[] values) => new() { Name = name, Dims = dims, Type = OnnxType.Int64, Data = MemoryMarshal.AsBytes(values.AsSpan()).ToArray() };

    public static OnnxTensor Read(byte[] raw)
    {
        var fields = Fields(raw);
        var type = (OnnxType)fields.Where(f => f.Number == TensorType).Select(f => Varint(f.Value(raw))).Single();
        var dims = fields.Where(f => f.Number == TensorDims).SelectMany(f => f.Wire == 2 ? Varints(f.Value(raw)) : [Varint(f.Value(raw))]).ToArray();
        byte[] data;
        if (fields.FirstOrDefault(f => f.Number == TensorRaw) is { End: > 0 } rawData) data = rawData.Value(raw).ToArray();
        else if (type == OnnxType.Float)
            data = fields.Where(f => f.Number == TensorFloats).SelectMany(f => f.Wire == 2 ? f.Value(raw).ToArray() : f.Value(raw).ToArray()).ToArray();
        else if (type == OnnxType.Int64)
            data = MemoryMarshal.AsBytes(fields.Where(f => f.Number == TensorInt64s).SelectMany(f => f.Wire == 2 ? Varints(f.Value(raw)) : [Varint(f.Value(raw))]).ToArray().AsSpan()).ToArray();
        else if (type == OnnxType.Int32)
            data = MemoryMarshal.AsBytes(fields.Where(f => f.Number == TensorInt32s).SelectMany(f => f.Wire == 2 ? Varints(f.Value(raw)) : [Varint(f.Value(raw))]).Select(v => (int)v).ToArray().AsSpan()).ToArray();
        else throw new InvalidDataException($"Tensor of type {type} without raw data is not supported.");
        return new OnnxTensor { Name = Encoding.UTF8.GetString(fields.Single(f => f.Number == TensorName).Value(raw)), Dims = dims, Type = type, Data = data };
    }

    public void Write(Stream output)
    {
        foreach (var d in Dims) WriteInt(output, TensorDims, d);
        WriteInt(output, TensorType, (int)Type);
        WriteString(output, TensorName, Name);
        WriteMessage(output, TensorRaw, Data);
    }
}

/// <summary>
/// An ONNX model opened for rewriting: nodes and weights as objects, every other field kept as its bytes.
/// Enough of ONNX for the rewrites LearnDL makes to ResNet18 (opset, batch normalisation, quantization).
/// </summary>
internal sealed class OnnxModel
{
    private const int ModelIrVersion = 1, ModelOpset = 8, ModelGraph = 7;
    private const int OpsetDomain = 1, OpsetVersion = 2;
    private const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12, GraphValueInfo = 13;
    private const int ValueInfoName = 1;

    private readonly byte[] _model;
    private readonly byte[] _graph;

    public long IrVersion { get; set; }
    /// <summary>Opset versions by domain ("" is the default ONNX domain).</summary>
    public Dictionary<string, long> Opsets { get; } = [];
    public List<OnnxNode> Nodes { get; }
    public Dictionary<string, OnnxTensor> Initializers { get; }
    /// <summary>The graph's inputs (without weights) and outputs, as value-info bytes by name.</summary>
    public List<(string Name, byte[] Raw)> Inputs { get; }
    public List<(string Name, byte[] Raw)> Outputs { get; }

    public OnnxModel(byte[] model)
    {
        _model = model;
        var fields = Fields(model);
        IrVersion = fields.Where(f => f.Number == ModelIrVersion).Select(f => Varint(f.Value(model))).FirstOrDefault();
        foreach (var f in fields.Where(f => f.Number == ModelOpset))
        {
            var opset = f.Value(model).ToArray();
            var of = Fields(opset);
            var domain = of.Where(x => x.Number == OpsetDomain).Select(x => Encoding.UTF8.GetString(x.Value(opset))).FirstOrDefault() ?? "";
            Opsets[domain == "ai.onnx" ? "" : domain] = of.Where(x => x.Number == OpsetVersion).Select(x => Varint(x.Value(opset))).Single();
        }
        _graph = fields.Single(f => f.Number == ModelGraph).Value(model).ToArray();
        var graphFields = Fields(_graph);
        Nodes = graphFields.Where(f => f.Number == GraphNode).Select(f => OnnxNode.Read(f.Value(_graph).ToArray())).ToList();
        Initializers = graphFields.Where(f => f.Number == GraphInitializer).Select(f => OnnxTensor.Read(f.Value(_graph).ToArray())).ToDictionary(t => t.Name);
        (string, byte[]) ValueInfo(Protobuf.Field f)
        {
            var raw = f.Value(_graph).ToArray();
            return (Encoding.UTF8.GetString(Fields(raw).Single(x => x.Number == ValueInfoName).Value(raw)), raw);
        }
        Inputs = graphFields.Where(f => f.Number == GraphInput).Select(ValueInfo).Where(i => !Initializers.ContainsKey(i.Item1)).ToList();
        Outputs = graphFields.Where(f => f.Number == GraphOutput).Select(ValueInfo).ToList();
    }

    /// <summary>The nodes that read <paramref name="tensor"/>.</summary>
    public IEnumerable<OnnxNode> Readers(string tensor) => Nodes.Where(n => n.Inputs.Contains(tensor));

    /// <summary>The node that writes <paramref name="tensor"/>, or null for a graph input or weight.</summary>
    public OnnxNode? Writer(string tensor) => Nodes.FirstOrDefault(n => n.Outputs.Contains(tensor));

    /// <summary>Adds a float graph output of any shape (calibration reads intermediate tensors this way).</summary>
    public void AddFloatOutput(string name)
    {
        using var info = new MemoryStream();
        WriteString(info, ValueInfoName, name);
        WriteMessage(info, 2, type => WriteMessage(type, 1, tensor => WriteInt(tensor, 1, (int)OnnxType.Float)));
        Outputs.Add((name, info.ToArray()));
    }

    public byte[] ToBytes()
    {
        using var graph = new MemoryStream(_graph.Length);
        foreach (var node in Nodes) WriteMessage(graph, GraphNode, node.Write);
        foreach (var f in Fields(_graph).Where(f => f.Number is not (GraphNode or GraphInitializer or GraphInput or GraphOutput or GraphValueInfo)))
            graph.Write(f.Whole(_graph));
        foreach (var tensor in Initializers.Values) WriteMessage(graph, GraphInitializer, tensor.Write);
        foreach (var (_, raw) in Inputs) WriteMessage(graph, GraphInput, raw);
        foreach (var (_, raw) in Outputs) WriteMessage(graph, GraphOutput, raw);

        using var model = new MemoryStream(_model.Length);
        WriteInt(model, ModelIrVersion, IrVersion);
        foreach (var (domain, version) in Opsets)
            WriteMessage(model, ModelOpset, opset => { if (domain.Length > 0) WriteString(opset, OpsetDomain, domain); WriteInt(opset, OpsetVersion, version); });
        foreach (var f in Fields(_model).Where(f => f.Number is not (ModelIrVersion or ModelOpset or ModelGraph)))
            model.Write(f.Whole(_model));
        WriteMessage(model, ModelGraph, graph.ToArray());
        return model.ToArray();
    }
}
