using System.Reflection;

namespace LearnDL.Training.Compute;

/// <summary>Which native ONNX Runtime this binary was built with (MSBuild property RuntimeBuild).</summary>
public sealed record RuntimeBuild(string Id)
{
    public const string RebuildForGpuCommand =
        "dotnet build -c Release -p:RuntimeBuild=gpu  (or: dotnet run --project src/LearnDL.Web -p:RuntimeBuild=gpu)";

    public bool IsGpu => Id == "gpu";

    public string Description => IsGpu
        ? "GPU build (Microsoft.ML.OnnxRuntime.Gpu.Linux, CUDA execution provider compiled in)"
        : "CPU build (Microsoft.ML.OnnxRuntime, CPU execution provider only)";

    /// <summary>The build recorded in this assembly at compile time.</summary>
    public static RuntimeBuild Current { get; } = new(
        typeof(RuntimeBuild).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RuntimeBuild")?.Value ?? "cpu");
}
