using System.Text.Json;

namespace LearnDL.Web.Features.Lessons.Demos;

public sealed record ReferenceNetwork(string Device, int Batch, bool Train, double ImagesPerSecond);

public sealed record ReferenceMultiply(string Device, int N, double Seconds);

/// <summary>
/// Figures measured on a machine with a GPU (tools/gpu-reference: ResNet-18 and matrix multiplies
/// with PyTorch), shipped with the app so lessons can set this server's own measurements beside a
/// real GPU's. Lessons say where they come from.
/// </summary>
public sealed class GpuReference
{
    public required string Gpu { get; init; }
    public required int CpuThreads { get; init; }
    public required string Measured { get; init; }
    public required string Software { get; init; }
    public required IReadOnlyList<ReferenceNetwork> Network { get; init; }
    public required IReadOnlyList<ReferenceMultiply> Multiply { get; init; }
    /// <summary>
    /// The arithmetic's precision. tools/gpu-reference/measure.py turns TF32 off for matrix multiplies and
    /// convolutions, so every figure is plain FP32 (single precision) on both the GPU and its CPU.
    /// Files written before the script recorded it say nothing; the script's settings were the same.
    /// </summary>
    public string Precision { get; init; } = DefaultPrecision;

    public const string DefaultPrecision = "FP32, TF32 off";

    public string Source => $"measured on an {Gpu} with PyTorch {Software} in {Precision} on {Measured} (tools/gpu-reference in LearnDL's repository)";

    /// <summary>Images per second on the reference GPU at one batch size (forward or training), or null when it was not measured.</summary>
    public double? At(string device, int batch, bool train) =>
        Network.FirstOrDefault(n => n.Device == device && n.Batch == batch && n.Train == train)?.ImagesPerSecond;

    /// <summary>Seconds for one n×n multiply on the reference machine's <paramref name="device"/>, or null.</summary>
    public double? MultiplySeconds(string device, int n) => Multiply.FirstOrDefault(m => m.Device == device && m.N == n)?.Seconds;

    /// <summary>Images per second on the reference GPU (or its CPU) at the largest batch measured.</summary>
    public double Speed(string device, bool train) =>
        Network.Where(n => n.Device == device && n.Train == train).MaxBy(n => n.Batch)?.ImagesPerSecond ?? double.NaN;

    public static GpuReference Load(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var root = json.RootElement;
        return new()
        {
            Gpu = root.GetProperty("gpu").GetString()!,
            CpuThreads = root.GetProperty("cpu_threads").GetInt32(),
            Measured = root.GetProperty("measured").GetString()!,
            Software = root.GetProperty("torch").GetString()!.Split('+')[0],
            Precision = root.TryGetProperty("precision", out var precision) ? precision.GetString()! : DefaultPrecision,
            Network = root.GetProperty("resnet18").EnumerateArray().Select(r => new ReferenceNetwork(
                r.GetProperty("device").GetString() == "cuda" ? "gpu" : "cpu", r.GetProperty("batch").GetInt32(),
                r.GetProperty("train").GetBoolean(), r.GetProperty("images_per_second").GetDouble())).ToList(),
            Multiply = root.GetProperty("matmul").EnumerateArray().Select(m => new ReferenceMultiply(
                m.GetProperty("device").GetString() == "cuda" ? "gpu" : "cpu", m.GetProperty("n").GetInt32(), m.GetProperty("seconds").GetDouble())).ToList(),
        };
    }
}
