using LearnDL.Training.Compute;

namespace LearnDL.Training.Featurization;

/// <summary>
/// ResNet18 loaded once per device and kept for every run that follows. Loading costs about 0.6 s,
/// and a process that loads and frees the network run after run grows by ~150 MB a run: the native
/// allocator keeps what ONNX Runtime freed. The sessions are thread-safe, so runs can share them.
/// </summary>
public sealed class NetworkCache(string? modelFolder = null) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(ComputeDevice, int), ResNet18Model> _models = [];
    private ResNet18Model? _unpooled;

    /// <summary>The network on <paramref name="device"/>, loading it on first use; the cache owns it.</summary>
    public ResNet18Model Get(ComputeDevice device, int threadsPerCall)
    {
        lock (_lock)
        {
            if (!_models.TryGetValue((device, threadsPerCall), out var model))
                _models[(device, threadsPerCall)] = model = new ResNet18Model(device, modelFolder, threadsPerCall);
            return model;
        }
    }

    /// <summary>
    /// The network on the CPU with every core per call and no memory pools, so that what one call needs
    /// can be measured (<see cref="BatchSizeBenchmark"/>); loaded on first use and kept, like the others.
    /// </summary>
    public ResNet18Model GetUnpooled()
    {
        lock (_lock) return _unpooled ??= new ResNet18Model(ComputeDevice.Cpu, modelFolder, threads: 0, poolMemory: false);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var model in _models.Values) model.Dispose();
            _models.Clear();
            _unpooled?.Dispose();
            _unpooled = null;
        }
    }
}
