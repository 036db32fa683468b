namespace LearnDL.Training.Compute;

/// <summary>What the device probe ("doctor") found on this machine.</summary>
public sealed record DeviceReport
{
    public required string CpuModel { get; init; }
    public required int LogicalCores { get; init; }
    /// <summary>Widest hardware-accelerated SIMD vector in bits (128, 256, 512), or 0.</summary>
    public required int VectorWidthBits { get; init; }
    public required long MemoryTotalBytes { get; init; }
    public required long MemoryAvailableBytes { get; init; }
    public required string OperatingSystem { get; init; }
    public required string? NvidiaDriver { get; init; }
    public required IReadOnlyList<string> Gpus { get; init; }
    public required string RuntimeBuild { get; init; }
    public required string RuntimeBuildDescription { get; init; }
    public required IReadOnlyList<string> ProvidersCompiledIn { get; init; }
    public required bool CudaUsable { get; init; }
    /// <summary>Why CUDA is or is not usable, in plain words.</summary>
    public required string CudaStatus { get; init; }
    public required IReadOnlyList<string> MissingLibraries { get; init; }
    public required IReadOnlyList<string> Advice { get; init; }
    /// <summary>Why nvidia-smi gave no answer (it hung, or failed), when that happened.</summary>
    public string? GpuQueryProblem { get; init; }
    public DateTimeOffset ProbedAt { get; init; }
    /// <summary>Whether this CPU has the instructions that make INT8 inference pay off.</summary>
    public Int8Support Int8 { get; init; } = Int8Support.Detect();

    public string CpuSummary => $"{CpuModel}, {LogicalCores} logical cores" +
        (VectorWidthBits > 0 ? $", {VectorWidthBits}-bit SIMD" : "");

    public string GpuSummary => Gpus.Count == 0 ? "no NVIDIA GPU found" : string.Join("; ", Gpus);
}
