using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LearnDL.Training.Featurization;

/// <summary>
/// One batch's input and output memory, allocated by ONNX Runtime once and bound to the network's
/// input and output (IOBinding), so a call neither pins managed arrays on the fly nor allocates its
/// result. On the GPU the memory is page-locked, which lets the card copy a batch in while it computes
/// another (<see cref="FeaturizeParallelism"/> keeps two in flight). Preparers write images straight
/// into <see cref="Pixels"/>; one call at a time per batch.
/// </summary>
public sealed class NetworkBatch : IBatchPixels, IDisposable
{
    private readonly OrtMemoryInfo _memory;
    private readonly OrtValue _input, _output;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();

    internal NetworkBatch(ResNet18Model model, OrtAllocator allocator, int capacity)
    {
        Model = model;
        _memory = allocator.Info;
        Capacity = capacity;
        _input = OrtValue.CreateAllocatedTensorValue(allocator, TensorElementType.Float, [capacity, 3, ResNet18Model.InputSize, ResNet18Model.InputSize]);
        _output = OrtValue.CreateAllocatedTensorValue(allocator, TensorElementType.Float, model.FeatureShape(capacity));
        _binding = model.Session.CreateIoBinding();
    }

    public int Capacity { get; }
    internal ResNet18Model Model { get; }

    /// <summary>Room for <see cref="Capacity"/> images as RGB planes (0-255), <see cref="ResNet18Model.PixelsPerImage"/> floats each.</summary>
    public Span<float> Pixels => _input.GetTensorMutableDataAsSpan<float>();

    /// <summary>512 features per image, from the last call.</summary>
    public ReadOnlySpan<float> Features => _output.GetTensorDataAsSpan<float>();

    internal void Run(int count)
    {
        if (count < 1 || count > Capacity) throw new ArgumentOutOfRangeException(nameof(count));
        // A partly filled batch (the last one, or one with skipped pictures) runs as a smaller tensor over the same memory.
        using var input = count == Capacity ? null : View(_input, [count, 3, ResNet18Model.InputSize, ResNet18Model.InputSize]);
        using var output = count == Capacity ? null : View(_output, Model.FeatureShape(count));
        _binding.BindInput(Model.InputName, input ?? _input);
        _binding.BindOutput(Model.OutputName, output ?? _output);
        Model.Session.RunWithBinding(_runOptions, _binding);
        _binding.ClearBoundInputs();
        _binding.ClearBoundOutputs();
    }

    private unsafe OrtValue View(OrtValue whole, long[] shape)
    {
        var bytes = whole.GetTensorMutableRawData();
        long length = sizeof(float);
        foreach (var d in shape) length *= d;
        return OrtValue.CreateTensorValueWithData(_memory, TensorElementType.Float, shape,
            (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(bytes)), length);
    }

    public void Dispose()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        _input.Dispose();
        _output.Dispose();
    }
}
