using LearnDL.Training.Compute;
using LearnDL.Training.Precision;

namespace LearnDL.Training.Featurization;

/// <summary>
/// ResNet18 loaded once per device (and precision) and kept for every run that follows. Loading costs about
/// 0.6 s, and a process that loads and frees the network run after run grows by ~150 MB a run: the native
/// allocator keeps what ONNX Runtime freed. The sessions are thread-safe, so runs can share them.
/// </summary>
public sealed class NetworkCache(string? modelFolder = null) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(ComputeDevice, int, NetworkPrecision), Lazy<ResNet18Model>> _models = [];
    private ResNet18Model? _unpooled;

    /// <summary>The FP32 network on <paramref name="device"/>, loading it on first use; the cache owns it.</summary>
    public ResNet18Model Get(ComputeDevice device, int threadsPerCall) => Get(device, threadsPerCall, NetworkPrecision.Fp32, () => throw new InvalidOperationException());

    /// <summary>
    /// The network at <paramref name="precision"/>; an INT8 network's bytes come from <paramref name="int8"/> (derived on a
    /// machine's first INT8 run, about a minute). Loaded outside the cache's lock, so other runs and classifications are not held up.
    /// </summary>
    public ResNet18Model Get(ComputeDevice device, int threadsPerCall, NetworkPrecision precision, Func<byte[]> int8)
    {
        Lazy<ResNet18Model> model;
        lock (_lock)
        {
            if (!_models.TryGetValue((device, threadsPerCall, precision), out model!))
                _models[(device, threadsPerCall, precision)] = model = new(() => precision == NetworkPrecision.Int8
                    ? new ResNet18Model(device, int8(), threadsPerCall)
                    : new ResNet18Model(device, modelFolder, threadsPerCall));
        }
        try { return model.Value; }
        catch
        {
            lock (_lock) _models.Remove((device, threadsPerCall, precision)); // a failed load is tried again next time
            throw;
        }
    }

    /// <summary>Whether that network is loaded already.</summary>
    public bool Has(ComputeDevice device, int threadsPerCall, NetworkPrecision precision)
    {
        lock (_lock) return _models.TryGetValue((device, threadsPerCall, precision), out var model) && model.IsValueCreated;
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
            foreach (var model in _models.Values.Where(m => m.IsValueCreated)) model.Value.Dispose();
            _models.Clear();
            _unpooled?.Dispose();
            _unpooled = null;
        }
    }
}
