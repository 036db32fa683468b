using LearnDL.Training.Compute;
using Microsoft.ML.OnnxRuntime;

namespace LearnDL.Training.Featurization;

/// <summary>
/// The pretrained ResNet18 that ships in Microsoft.ML.DnnImageFeaturizer.ResNet18: its preprocessing
/// graph (RGB planes 0-255 to the network's mean-subtracted BGR) then the CNN up to global average
/// pooling, giving 512 features per image. The two graphs are chained into one session
/// (<see cref="OnnxGraphFusion"/>), with the batch dimension freed so a GPU gets many images per call.
/// Thread-safe: several threads may featurize batches at once (with one intra-op thread per session,
/// each call runs on its caller).
/// </summary>
public sealed class ResNet18Model : IDisposable
{
    public const int InputSize = 224;
    public const int FeatureCount = 512;
    public const int PixelsPerImage = 3 * InputSize * InputSize;

    private readonly InferenceSession _session;
    private readonly OrtAllocator? _pinned;
    private readonly long[] _featureDims;

    public ComputeDevice Device { get; }
    internal InferenceSession Session => _session;
    internal string InputName { get; }
    internal string OutputName { get; }
    /// <summary>The shape of <paramref name="count"/> images' features as the network gives them ([count, 512, 1, 1]).</summary>
    internal long[] FeatureShape(int count) => [count, .. _featureDims];

    /// <param name="threads">ONNX Runtime's threads per call; 0 lets it use every core.</param>
    public ResNet18Model(ComputeDevice device, string? modelFolder = null, int threads = 0)
        : this(device, modelFolder, threads, poolMemory: true)
    {
    }

    /// <param name="poolMemory">
    /// True (as the engine runs): ONNX Runtime keeps the memory of a call in its pools for the next.
    /// False: each call allocates what it needs and frees it at the end, so the memory a call needs
    /// can be measured call by call (see <see cref="BatchSizeBenchmark"/>); a little slower.
    /// </param>
    public ResNet18Model(ComputeDevice device, string? modelFolder, int threads, bool poolMemory)
        : this(device, FusedModel(modelFolder), threads, poolMemory)
    {
    }

    /// <summary>A network from its ONNX bytes: the FP32 model, or one derived from it (the INT8 network) with the same input and output.</summary>
    public ResNet18Model(ComputeDevice device, byte[] model, int threads, bool poolMemory = true)
    {
        Device = device;
        _session = CreateSession(model, device, threads, poolMemory);
        InputName = _session.InputNames[0];
        OutputName = _session.OutputNames[0];
        _featureDims = _session.OutputMetadata[OutputName].Dimensions[1..].Select(d => (long)d).ToArray(); // 512, 1, 1
        if (device == ComputeDevice.Gpu) _pinned = PinnedAllocator(_session);
    }

    /// <summary>
    /// On the GPU, batches live in page-locked host memory: the card copies from it directly, without a
    /// staging copy. Ordinary memory works too, only slower, so a CUDA build without the pinned allocator still runs.
    /// </summary>
    private static OrtAllocator? PinnedAllocator(InferenceSession session)
    {
        try { return new OrtAllocator(session, new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.CpuOutput)); }
        catch (OnnxRuntimeException) { return null; }
    }

    /// <summary>Whether batches are in page-locked memory (the GPU with its pinned allocator).</summary>
    public bool BatchesPageLocked => _pinned is not null;

    /// <summary>The preprocessing graph and the network as one ONNX model whose batch dimension is free.</summary>
    public static byte[] FusedModel(string? modelFolder = null)
    {
        modelFolder ??= Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        var prepPath = Path.Combine(modelFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        var netPath = Path.Combine(modelFolder, "ResNet18Onnx", "ResNet18.onnx");
        foreach (var path in new[] { prepPath, netPath })
            if (!File.Exists(path))
                throw new FileNotFoundException($"The pretrained model file {path} is missing. It comes with the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18; rebuild the project to copy it.", path);
        return OnnxBatchRewriter.MakeBatchSymbolic(OnnxGraphFusion.Chain(File.ReadAllBytes(prepPath), File.ReadAllBytes(netPath)));
    }

    /// <summary>A batch's input and output memory, bound to this network; pinned host memory on the GPU.</summary>
    public NetworkBatch CreateBatch(int capacity) => new(this, _pinned ?? OrtAllocator.DefaultInstance, capacity);

    /// <summary>Featurizes the first <paramref name="count"/> images of <paramref name="batch"/> into its <see cref="NetworkBatch.Features"/>.</summary>
    public void Featurize(NetworkBatch batch, int count)
    {
        if (batch.Model != this) throw new ArgumentException("The batch was made for another network.", nameof(batch));
        batch.Run(count);
    }

    /// <summary>
    /// Featurizes <paramref name="count"/> images laid out as RGB planes (0-255) in
    /// <paramref name="pixels"/>, writing 512 values per image to <paramref name="features"/>.
    /// For a single picture or a demonstration; the engine's batches go through <see cref="NetworkBatch"/>.
    /// </summary>
    public void Featurize(float[] pixels, int count, Span<float> features)
    {
        long[] shape = [count, 3, InputSize, InputSize];
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels.AsMemory(0, count * PixelsPerImage), shape);
        using var runOptions = new RunOptions();
        using var output = _session.Run(runOptions, [InputName], [input], [OutputName]);
        output[0].GetTensorDataAsSpan<float>()[..(count * FeatureCount)].CopyTo(features);
    }

    private static InferenceSession CreateSession(byte[] model, ComputeDevice device, int threads, bool poolMemory, string? optimizedModelPath = null)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads };
        if (optimizedModelPath is not null) options.OptimizedModelFilePath = optimizedModelPath;
        if (!poolMemory)
        {
            options.EnableCpuMemArena = false;
            options.EnableMemoryPattern = false;
        }
        // The preparing threads share the cores with inference: spinning workers would starve them.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (device == ComputeDevice.Gpu)
        {
            // Throws when CUDA cannot load; no quiet fallback to the CPU.
            options.AppendExecutionProvider_CUDA(0);
        }
        return new InferenceSession(model, options);
    }

    /// <summary>The graph ONNX Runtime really runs for <paramref name="model"/> on the CPU, after its optimizations (fusions, integer kernels).</summary>
    public static byte[] OptimizedGraph(byte[] model)
    {
        var path = Path.Combine(Path.GetTempPath(), $"learndl-optimized-{Guid.NewGuid():N}.onnx");
        try
        {
            using (CreateSession(model, ComputeDevice.Cpu, threads: 1, poolMemory: false, path)) { }
            return File.ReadAllBytes(path);
        }
        finally { File.Delete(path); }
    }

    public void Dispose()
    {
        _pinned?.Dispose();
        _session.Dispose();
    }
}
