using LearnDL.Training.Compute;
using Microsoft.ML.OnnxRuntime;

namespace LearnDL.Training.Featurization;

/// <summary>
/// The pretrained ResNet18 that ships in Microsoft.ML.DnnImageFeaturizer.ResNet18: its preprocessing
/// graph (RGB planes 0-255 to the network's normalised BGR) then the CNN up to global average pooling,
/// giving 512 features per image. Both run as ONNX Runtime sessions on the chosen device, with the
/// batch dimension freed so a GPU gets many images per call. Thread-safe: several threads may
/// featurize batches at once (with one intra-op thread per session, each call runs on its caller).
/// </summary>
public sealed class ResNet18Model : IDisposable
{
    public const int InputSize = 224;
    public const int FeatureCount = 512;
    public const int PixelsPerImage = 3 * InputSize * InputSize;

    private readonly InferenceSession _preprocess;
    private readonly InferenceSession _network;
    private readonly string _preprocessInput, _preprocessOutput, _networkInput, _networkOutput;

    public ComputeDevice Device { get; }

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
    {
        modelFolder ??= Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        var prepPath = Path.Combine(modelFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        var netPath = Path.Combine(modelFolder, "ResNet18Onnx", "ResNet18.onnx");
        foreach (var path in new[] { prepPath, netPath })
            if (!File.Exists(path))
                throw new FileNotFoundException($"The pretrained model file {path} is missing. It comes with the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18; rebuild the project to copy it.", path);
        Device = device;
        _preprocess = CreateSession(prepPath, device, threads, poolMemory);
        try { _network = CreateSession(netPath, device, threads, poolMemory); }
        catch { _preprocess.Dispose(); throw; }
        _preprocessInput = _preprocess.InputNames[0];
        _preprocessOutput = _preprocess.OutputNames[0];
        _networkInput = _network.InputNames[0];
        _networkOutput = _network.OutputNames[0];
    }

    /// <summary>
    /// Featurizes <paramref name="count"/> images laid out as RGB planes (0-255) in
    /// <paramref name="pixels"/>, writing 512 values per image to <paramref name="features"/>.
    /// </summary>
    public void Featurize(float[] pixels, int count, Span<float> features)
    {
        long[] shape = [count, 3, InputSize, InputSize];
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels.AsMemory(0, count * PixelsPerImage), shape);
        using var runOptions = new RunOptions();
        using var prepared = _preprocess.Run(runOptions, [_preprocessInput], [input], [_preprocessOutput]);
        using var output = _network.Run(runOptions, [_networkInput], [prepared[0]], [_networkOutput]);
        output[0].GetTensorDataAsSpan<float>()[..(count * FeatureCount)].CopyTo(features);
    }

    private static InferenceSession CreateSession(string path, ComputeDevice device, int threads, bool poolMemory)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads };
        if (!poolMemory)
        {
            options.EnableCpuMemArena = false;
            options.EnableMemoryPattern = false;
        }
        // The decoding thread shares the cores with inference: spinning workers would starve it.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (device == ComputeDevice.Gpu)
        {
            // Throws when CUDA cannot load; no quiet fallback to the CPU.
            options.AppendExecutionProvider_CUDA(0);
        }
        return new InferenceSession(OnnxBatchRewriter.MakeBatchSymbolic(File.ReadAllBytes(path)), options);
    }

    public void Dispose()
    {
        _network.Dispose();
        _preprocess.Dispose();
    }
}
