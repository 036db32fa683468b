namespace LearnDL.Training.Compute;

/// <summary>Why a request got the device it got (or none): the probe's decision, as data.</summary>
public enum DeviceReason
{
    CpuRequested,
    GpuRequestedCpuBuild,
    GpuRequestedCudaUnusable,
    GpuRequestedCudaLoaded,
    AutoChoseGpu,
    AutoFellBackCpuBuild,
    AutoFellBackCudaUnusable,
}

/// <summary>The device a request gets, or null when it cannot be served, and the reason (<see cref="DeviceProbe.Decide"/>).</summary>
public sealed record DeviceDecision(ComputeDevice? Device, DeviceReason Reason);

/// <summary>
/// Every sentence the device probe says about this machine's CPU and GPU (the command line's doctor, the doctor
/// page, a run's "why this device"): the probe decides, this words it.
/// </summary>
public static class DeviceMessages
{
    /// <summary>The reason for a decision, in words, with what the report found (the GPU's name, or why CUDA did not load).</summary>
    public static string Reason(DeviceReason reason, DeviceReport? report) => reason switch
    {
        DeviceReason.CpuRequested => "The CPU was requested.",
        DeviceReason.GpuRequestedCpuBuild =>
            "The GPU was requested, but this is the CPU build of LearnDL: it carries Microsoft.ML.OnnxRuntime, " +
            "which has no CUDA provider, so every run would quietly use the CPU. Rebuild with the GPU runtime: " +
            $"{RuntimeBuild.RebuildForGpuCommand}. The GPU build needs the NVIDIA driver, CUDA 13 and cuDNN 9.",
        DeviceReason.GpuRequestedCudaUnusable => $"The GPU was requested, but CUDA cannot be used: {report?.CudaStatus}",
        DeviceReason.GpuRequestedCudaLoaded => $"The GPU was requested and the CUDA provider loaded ({report?.GpuSummary ?? "GPU 0"}).",
        DeviceReason.AutoChoseGpu => $"Auto chose the GPU: the CUDA provider loaded ({report?.GpuSummary ?? "GPU 0"}).",
        DeviceReason.AutoFellBackCpuBuild => "Auto fell back to the CPU: this is the CPU build (no CUDA provider compiled in).",
        _ => $"Auto fell back to the CPU: {report?.CudaStatus}",
    };

    public static readonly string CpuBuildStatus =
        "This is the CPU build: it carries no CUDA provider. " +
        $"Rebuild with -p:RuntimeBuild=gpu to use an NVIDIA GPU ({RuntimeBuild.RebuildForGpuCommand}); " +
        "for the command line, install the LearnDL.Cli.Gpu tool in place of LearnDL.Cli.";

    public const string CudaLoaded = "The CUDA provider loaded: runs can use GPU 0.";

    public static string CudaMissing(IEnumerable<string> missing) =>
        $"The CUDA provider did not load. Missing: {string.Join(", ", missing)}. Install the NVIDIA driver, CUDA 13 and cuDNN 9 (and make them visible to the loader, e.g. LD_LIBRARY_PATH).";

    public static string CudaDidNotLoad(string? error) => $"The CUDA provider did not load: {error}";

    /// <summary>What the learner can do next on this machine, from what the probe found.</summary>
    public static List<string> Advice(bool gpuBuild, bool cudaUsable, bool hasGpu, IReadOnlyList<string> missing)
    {
        var advice = new List<string>();
        if (cudaUsable)
            advice.Add("Your GPU is ready: choose GPU (or Auto) for a run and compare it with the CPU.");
        else if (!gpuBuild && hasGpu)
            advice.Add($"This machine has an NVIDIA GPU, but this is the CPU build. Rebuild: {RuntimeBuild.RebuildForGpuCommand}.");
        else if (!gpuBuild)
            advice.Add("You can learn and test every script on this CPU: runs are slower, not different.");
        else if (!hasGpu)
            advice.Add("This is the GPU build, but no NVIDIA GPU or driver was found: runs will use the CPU.");
        if (gpuBuild && missing.Count > 0)
            advice.Add("Install the missing libraries: " + string.Join(", ", missing) + ".");
        if (!cudaUsable)
            advice.Add("No GPU here? Free online notebooks with GPUs exist (Kaggle, Google Colab), and paid clouds rent them by the hour (AWS, Azure, Google Cloud).");
        return advice;
    }
}
