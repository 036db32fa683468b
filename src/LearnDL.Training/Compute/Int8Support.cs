using System.Runtime.Intrinsics.X86;

namespace LearnDL.Training.Compute;

/// <summary>
/// Whether this CPU has the instructions that make 8-bit integer inference pay: a dot product of 8-bit integers
/// in one instruction (AVX-512 VNNI, AVX-VNNI, ARM's dot product). Without them ONNX Runtime's INT8 kernels
/// fall back to 16-bit multiply-adds (AVX2, AVX-512), which gain less, or to plain code, which may even lose.
/// </summary>
public sealed record Int8Support(IReadOnlyList<string> Instructions)
{
    public bool HasDotProduct => Instructions.Any(i => i.Contains("VNNI") || i.Contains("dot product"));

    public string Verdict => HasDotProduct
        ? $"INT8 pays off here: this CPU multiplies 8-bit integers with {Instructions.First(i => i.Contains("VNNI") || i.Contains("dot product"))}."
        : Instructions.Count > 0
            ? $"INT8 may help a little here: no 8-bit dot-product instruction, only {string.Join(" and ", Instructions)}."
            : "INT8 is unlikely to help here: this CPU has none of the vector instructions ONNX Runtime's integer kernels use.";

    public static Int8Support Detect()
    {
        var flags = LinuxFlags();
        var found = new List<string>();
        void Add(bool present, string name) { if (present) found.Add(name); }
        Add(flags?.Contains("avx512_vnni") ?? false, "AVX-512 VNNI");
        Add(flags?.Contains("avx_vnni") ?? AvxVnni.IsSupported, "AVX-VNNI");
        Add(flags?.Contains("avx512bw") ?? Avx512BW.IsSupported, "AVX-512");
        Add(flags?.Contains("avx2") ?? Avx2.IsSupported, "AVX2");
        Add(System.Runtime.Intrinsics.Arm.Dp.IsSupported, "ARM dot product");
        return new(found);
    }

    /// <summary>The CPU's feature flags as Linux lists them (the only place AVX-512 VNNI is named), or null elsewhere.</summary>
    private static HashSet<string>? LinuxFlags()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            return line?[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
