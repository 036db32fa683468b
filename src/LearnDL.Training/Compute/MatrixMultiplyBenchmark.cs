using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using LearnDL.Training.Featurization;
using Microsoft.ML.OnnxRuntime;

namespace LearnDL.Training.Compute;

/// <summary>The ways the same matrix multiply is done, from one multiply-add at a time to the GPU.</summary>
public enum MultiplyMethod { OneThread, Simd, AllCores, Library, Gpu }

public static class MultiplyMethods
{
    public static string Title(this MultiplyMethod method) => method switch
    {
        MultiplyMethod.OneThread => "one core, one multiply-add at a time",
        MultiplyMethod.Simd => $"one core, SIMD ({Vector<float>.Count} at a time)",
        MultiplyMethod.AllCores => $"all {Environment.ProcessorCount} cores, SIMD",
        MultiplyMethod.Library => "ONNX Runtime's tuned kernels, all cores",
        _ => "the GPU (ONNX Runtime, CUDA), copies included",
    };
}

/// <summary>How long one n×n multiply took (2n³ floating-point operations).</summary>
public sealed record MultiplyTiming(MultiplyMethod Method, int Size, double Seconds)
{
    public double GigaflopsPerSecond => 2.0 * Size * Size * Size / Seconds / 1e9;
}

/// <summary>
/// C = A×B for square matrices of growing size, done the ways a processor can: one scalar multiply-add
/// after another on one thread; with SIMD (several floats per instruction); with SIMD on every core;
/// with ONNX Runtime's tuned kernels; and on the GPU where one is usable (the same ONNX Runtime, CUDA
/// provider, with the copies to and from the card counted). Small sizes show what starting parallel
/// work costs; large ones what it gains. Sizes are bounded, so a lesson's demonstration stays short.
/// </summary>
public sealed class MatrixMultiplyBenchmark : IDisposable
{
    public static readonly IReadOnlyList<int> Sizes = [16, 32, 64, 128, 256, 512];
    public const int MaxSize = 512;
    private static readonly TimeSpan MinTime = TimeSpan.FromMilliseconds(60);

    private readonly InferenceSession _library;
    private readonly InferenceSession? _gpu;
    // "Every core" runs on threads of the benchmark's own, not the thread pool's, which a web server's pages need (see ComputeThreads).
    private readonly ComputeThreads _cores = new(Environment.ProcessorCount, "LearnDL multiply");
    private readonly ParallelOptions _allCores;

    /// <param name="gpu">Also prepare the GPU; throws <see cref="DeviceUnavailableException"/> when CUDA does not load.</param>
    public MatrixMultiplyBenchmark(bool gpu)
    {
        _allCores = new ParallelOptions { TaskScheduler = _cores, MaxDegreeOfParallelism = Environment.ProcessorCount };
        var model = MatMulModel();
        _library = Session(model, ComputeDevice.Cpu);
        if (!gpu) return;
        try { _gpu = Session(model, ComputeDevice.Gpu); }
        // The CPU build has no CUDA entry point at all; the GPU build without CUDA fails to load it.
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            Dispose();
            throw new DeviceUnavailableException($"The GPU could not run a matrix multiply: {e.Message.Split('\n')[0]}");
        }
    }

    public static IReadOnlyList<MultiplyMethod> CpuMethods { get; } =
        [MultiplyMethod.OneThread, MultiplyMethod.Simd, MultiplyMethod.AllCores, MultiplyMethod.Library];

    /// <summary>Measures each method at each size, smallest first, yielding each timing as soon as it is known.</summary>
    public IEnumerable<MultiplyTiming> Run(IReadOnlyList<MultiplyMethod> methods, IReadOnlyList<int> sizes, CancellationToken cancellationToken)
    {
        foreach (var n in sizes)
        {
            if (n < 1 || n > MaxSize) throw new ArgumentOutOfRangeException(nameof(sizes), $"Sizes run from 1 to {MaxSize}.");
            var random = new Random(n);
            var a = new float[n * n];
            var b = new float[n * n];
            for (int i = 0; i < a.Length; i++) (a[i], b[i]) = (random.NextSingle() - 0.5f, random.NextSingle() - 0.5f);
            var c = new float[n * n];
            foreach (var method in methods)
            {
                Action multiply = method switch
                {
                    MultiplyMethod.OneThread => () => OneThread(a, b, c, n),
                    MultiplyMethod.Simd => () => { for (int i = 0; i < n; i++) SimdRow(a, b, c, n, i); },
                    MultiplyMethod.AllCores => () => Parallel.For(0, n, _allCores, i => SimdRow(a, b, c, n, i)),
                    MultiplyMethod.Library => () => Onnx(_library, a, b, c, n),
                    _ => () => Onnx(_gpu ?? throw new DeviceUnavailableException("The GPU was not prepared for this benchmark."), a, b, c, n),
                };
                yield return new(method, n, Time(multiply, cancellationToken));
            }
        }
    }

    /// <summary>Seconds per multiply: after a warm-up, repeated until at least <see cref="MinTime"/> (and 3 times) have passed.</summary>
    private static double Time(Action multiply, CancellationToken cancellationToken)
    {
        multiply();
        var clock = Stopwatch.StartNew();
        int reps = 0;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            multiply();
            reps++;
        } while (reps < 3 || clock.Elapsed < MinTime);
        return clock.Elapsed.TotalSeconds / reps;
    }

    // Kernels are compiled fully optimised at once: tiered compilation would time the first sizes unoptimised.

    /// <summary>The loops a beginner writes: the i-k-j order reads memory in a row, but one float at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void OneThread(float[] a, float[] b, float[] c, int n)
    {
        Array.Clear(c);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                float aik = a[i * n + k];
                int rowB = k * n, rowC = i * n;
                for (int j = 0; j < n; j++) c[rowC + j] += aik * b[rowB + j];
            }
    }

    /// <summary>Row i of C with SIMD: the same loops, but Vector&lt;float&gt;.Count floats per instruction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SimdRow(float[] a, float[] b, float[] c, int n, int i)
    {
        var row = c.AsSpan(i * n, n);
        row.Clear();
        int width = Vector<float>.Count;
        for (int k = 0; k < n; k++)
        {
            float aik = a[i * n + k];
            var scale = new Vector<float>(aik);
            var rowB = b.AsSpan(k * n, n);
            int j = 0;
            for (; j <= n - width; j += width)
                (new Vector<float>(row[j..]) + scale * new Vector<float>(rowB[j..])).CopyTo(row[j..]);
            for (; j < n; j++) row[j] += aik * rowB[j];
        }
    }

    private static void Onnx(InferenceSession session, float[] a, float[] b, float[] c, int n)
    {
        long[] shape = [n, n];
        using var inputA = OrtValue.CreateTensorValueFromMemory(a, shape);
        using var inputB = OrtValue.CreateTensorValueFromMemory(b, shape);
        using var output = OrtValue.CreateTensorValueFromMemory(c, shape);
        using var options = new RunOptions();
        session.Run(options, ["A", "B"], [inputA, inputB], ["C"], [output]);
    }

    private static InferenceSession Session(byte[] model, ComputeDevice device)
    {
        using var options = new SessionOptions();
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (device == ComputeDevice.Gpu) options.AppendExecutionProvider_CUDA(0);
        return new InferenceSession(model, options);
    }

    /// <summary>An ONNX model of one MatMul node: C[n,n] = A[n,n] × B[n,n], n left free.</summary>
    internal static byte[] MatMulModel()
    {
        static void Square(Stream value, string name)
        {
            Protobuf.WriteString(value, 1, name);                                   // ValueInfoProto.name
            Protobuf.WriteMessage(value, 2, type =>                                  // .type
                Protobuf.WriteMessage(type, 1, tensor =>                             // TypeProto.tensor_type
                {
                    Protobuf.WriteInt(tensor, 1, 1);                                 // elem_type FLOAT
                    Protobuf.WriteMessage(tensor, 2, shape =>                        // shape
                    {
                        Protobuf.WriteMessage(shape, 1, dim => Protobuf.WriteString(dim, 2, "n")); // dim_param
                        Protobuf.WriteMessage(shape, 1, dim => Protobuf.WriteString(dim, 2, "n"));
                    });
                }));
        }
        using var model = new MemoryStream();
        Protobuf.WriteInt(model, 1, 8);                                              // ModelProto.ir_version
        Protobuf.WriteMessage(model, 7, graph =>                                     // .graph
        {
            Protobuf.WriteMessage(graph, 1, node =>                                  // GraphProto.node
            {
                Protobuf.WriteString(node, 1, "A");                                  // NodeProto.input
                Protobuf.WriteString(node, 1, "B");
                Protobuf.WriteString(node, 2, "C");                                  // .output
                Protobuf.WriteString(node, 4, "MatMul");                             // .op_type
            });
            Protobuf.WriteString(graph, 2, "matmul");                                // .name
            Protobuf.WriteMessage(graph, 11, v => Square(v, "A"));                   // .input
            Protobuf.WriteMessage(graph, 11, v => Square(v, "B"));
            Protobuf.WriteMessage(graph, 12, v => Square(v, "C"));                   // .output
        });
        Protobuf.WriteMessage(model, 8, opset => Protobuf.WriteInt(opset, 2, 13));    // .opset_import, version 13
        return model.ToArray();
    }

    public void Dispose()
    {
        _library.Dispose();
        _gpu?.Dispose();
        _cores.Dispose();
    }
}
