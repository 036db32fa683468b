namespace LearnDL.Web.Features.Lessons;

/// <summary>The interactive demonstrations a lesson can place with <c>{{demo NAME}}</c>.</summary>
public static class LessonDemos
{
    public const string ParallelWork = "parallel-work";
    public const string LayerWork = "layer-work";
    public const string TrainingArithmetic = "training-arithmetic";
    public const string GpuCalculator = "gpu-calculator";
    public const string JobSizes = "job-sizes";
    public const string AccuracyNoise = "accuracy-noise";
    public const string AmdahlExplorer = "amdahl-explorer";
    public const string DataLoading = "data-loading";
    public const string BatchDemo = "batch-demo";
    public const string AssumptionExplorer = "assumption-explorer";
    public const string MyGpu = "my-gpu";

    public static readonly IReadOnlySet<string> Known = new HashSet<string>
    {
        ParallelWork, LayerWork, TrainingArithmetic, GpuCalculator, JobSizes, AccuracyNoise, AmdahlExplorer, DataLoading, BatchDemo, AssumptionExplorer, MyGpu,
    };
}
