namespace LearnDL.Training.Precision;

/// <summary>The numbers ResNet18 computes with: 32-bit floats as trained, or 8-bit integers (<see cref="Int8Network"/>).</summary>
public enum NetworkPrecision { Fp32, Int8 }

public static class NetworkPrecisions
{
    public static string ToId(this NetworkPrecision precision) => precision == NetworkPrecision.Int8 ? "int8" : "fp32";

    public static bool TryParse(string? text, out NetworkPrecision precision)
    {
        precision = NetworkPrecision.Fp32;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "fp32": return true;
            case "int8": precision = NetworkPrecision.Int8; return true;
            default: return false;
        }
    }

    /// <summary>Why INT8 is offered on the CPU only, said wherever the choice is made.</summary>
    public const string CpuOnly = "INT8 runs on the CPU only: ONNX Runtime's CUDA provider has no INT8 path for this network.";
}
