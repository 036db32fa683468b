using System.Text;
using static LearnDL.Training.Featurization.Protobuf;

namespace LearnDL.Training.Featurization;

/// <summary>
/// Chains two ONNX models into one graph: the first's output becomes the second's input. One session
/// then runs both, and the tensor between them stays where it was computed; as two sessions on a GPU
/// it went down to the host and up again every batch. Works on the wire format, like
/// <see cref="OnnxBatchRewriter"/>: nodes and weights are copied through, one name changes.
/// </summary>
public static class OnnxGraphFusion
{
    private const int ModelGraph = 7;
    private const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12, GraphValueInfo = 13;
    private const int NodeInput = 1, NodeOutput = 2, ValueInfoName = 1, TensorName = 8;

    public static byte[] Chain(byte[] first, byte[] second)
    {
        var a = GraphOf(first);
        var b = GraphOf(second);
        var aFields = Fields(a);
        var bFields = Fields(b);
        var handOff = aFields.Where(f => f.Number == GraphOutput).Select(f => Name(f.Value(a), ValueInfoName)).Single();
        var bWeights = bFields.Where(f => f.Number == GraphInitializer).Select(f => Name(f.Value(b), TensorName)).ToHashSet();
        var input = bFields.Where(f => f.Number == GraphInput).Select(f => Name(f.Value(b), ValueInfoName)).First(n => !bWeights.Contains(n));
        var clash = NamesIn(a, aFields).Intersect(NamesIn(b, bFields)).Except([handOff, input]).FirstOrDefault();
        if (clash is not null) throw new InvalidDataException($"Both ONNX graphs use the name '{clash}'; they cannot be chained.");

        using var graph = new MemoryStream(a.Length + b.Length);
        // Nodes in order of execution: the first graph's, ending in the second's input, then the second's.
        foreach (var f in aFields.Where(f => f.Number == GraphNode))
            WriteMessage(graph, GraphNode, RenameOutput(f.Value(a).ToArray(), handOff, input));
        foreach (var f in bFields.Where(f => f.Number == GraphNode)) graph.Write(f.Whole(b));
        foreach (var f in aFields.Where(f => f.Number is GraphInitializer or GraphInput)) graph.Write(f.Whole(a));
        // Shape hints are left out: they pin shapes that the batch rewriting frees.
        foreach (var f in bFields.Where(f => f.Number is not (GraphNode or GraphValueInfo)))
            if (!(f.Number == GraphInput && Name(f.Value(b), ValueInfoName) == input)) graph.Write(f.Whole(b));

        using var model = new MemoryStream(first.Length + second.Length);
        foreach (var f in Fields(second))
        {
            if (f.Number == ModelGraph) WriteMessage(model, ModelGraph, graph.ToArray());
            else model.Write(f.Whole(second));
        }
        return model.ToArray();
    }

    private static byte[] GraphOf(byte[] model) =>
        Fields(model).Where(f => f.Number == ModelGraph).Select(f => f.Value(model).ToArray()).Single();

    /// <summary>Every name the graph defines: its inputs, weights and node outputs.</summary>
    private static IEnumerable<string> NamesIn(byte[] graph, List<Field> fields) =>
        fields.SelectMany(f => f.Number switch
        {
            GraphInput => [Name(f.Value(graph), ValueInfoName)],
            GraphInitializer => [Name(f.Value(graph), TensorName)],
            GraphNode => Strings(f.Value(graph).ToArray(), NodeOutput),
            _ => (IEnumerable<string>)[],
        });

    private static byte[] RenameOutput(byte[] node, string from, string to)
    {
        using var output = new MemoryStream(node.Length + to.Length);
        foreach (var f in Fields(node))
        {
            if (f.Number == NodeOutput && Encoding.UTF8.GetString(f.Value(node)) == from) WriteString(output, NodeOutput, to);
            else if (f.Number == NodeInput && Encoding.UTF8.GetString(f.Value(node)) == from)
                throw new InvalidDataException($"The first graph reads its own output '{from}'; it cannot be chained.");
            else output.Write(f.Whole(node));
        }
        return output.ToArray();
    }

    private static string Name(ReadOnlySpan<byte> message, int field) => Strings(message.ToArray(), field).First();

    private static IEnumerable<string> Strings(byte[] message, int field) =>
        Fields(message).Where(f => f.Number == field && f.Wire == 2).Select(f => Encoding.UTF8.GetString(f.Value(message))).ToList();
}
