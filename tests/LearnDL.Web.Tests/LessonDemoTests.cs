using LearnDL.Training.Compute;
using LearnDL.Web.Features.Lessons.Demos;

namespace LearnDL.Web.Tests;

/// <summary>The arithmetic behind the lessons' demonstrations, checked without a browser.</summary>
public class LessonDemoTests
{
    private static readonly GpuReference Reference = GpuReference.Load(Path.Combine(AppContext.BaseDirectory, "gpu-reference.json"));

    [Fact]
    public void ResNet18Work_MatchesThePapersFigure_AndGrowsWithTheArea()
    {
        Assert.InRange(ResNet18Work.ForwardMultiplyAdds, 1.80e9, 1.83e9); // He et al. (2016): 1.8 x 10^9
        var layer2 = ResNet18Work.Stages.Single(s => s.Name == "layer2");
        Assert.Equal(4 * layer2.MultiplyAdds, ResNet18Work.Scaled(layer2, 448), 0);
        var fc = ResNet18Work.Stages.Single(s => s.Name == "fc");
        Assert.Equal(fc.MultiplyAdds, ResNet18Work.Scaled(fc, 448)); // the last layer does not grow
    }

    [Fact]
    public void Calculator_TrainingEveryLayer_CostsThreeForwardPassesPerImagePerEpoch()
    {
        var every = GpuTimeCalculator.Estimate(new(2000, 10, TrainingKind.EveryLayer, CpuImagesPerSecond: 50, GpuImagesPerSecond: 5000, PricePerHour: 3.6m));
        Assert.Equal(2000 * 10 * 3 / 50.0, every.CpuSeconds, 6);
        Assert.Equal(12, every.GpuSeconds, 6);
        Assert.Equal(0.01m, every.GpuCost); // 12 s at 3.60 an hour
        Assert.Equal(100, every.Speedup, 6);
        var once = GpuTimeCalculator.Estimate(new(2000, 10, TrainingKind.FeaturizeOnce, 50, 5000, 3.6m));
        Assert.Equal(2000 / 50.0 + 10 * GpuTimeCalculator.HeadSecondsPerEpoch, once.CpuSeconds, 6);
        Assert.Contains("Speeds must be more than 0", GpuTimeCalculator.Check(new(10, 1, TrainingKind.FeaturizeOnce, 0, 1, 1))[0]);
    }

    [Fact]
    public void ParallelWorkFindings_SayWhereParallelWinsAndWhereItLoses()
    {
        MultiplyTiming T(MultiplyMethod m, int n, double s) => new(m, n, s);
        var timings = new[]
        {
            T(MultiplyMethod.OneThread, 16, 3e-6), T(MultiplyMethod.Simd, 16, 1e-6), T(MultiplyMethod.AllCores, 16, 8e-6), T(MultiplyMethod.Library, 16, 4e-6),
            T(MultiplyMethod.OneThread, 512, 0.088), T(MultiplyMethod.Simd, 512, 0.020), T(MultiplyMethod.AllCores, 512, 0.013), T(MultiplyMethod.Library, 512, 0.0013),
        };
        var text = ParallelWorkFindings.Describe(timings, Reference);
        Assert.Contains("took 88 ms", text);
        Assert.Contains("SIMD (", text);
        Assert.Contains("4.4× faster", text);
        Assert.Contains("8× slower than SIMD on one core", text);
        Assert.Contains("NVIDIA H200", text); // no GPU measured here: the reference, with its source
        var chart = ParallelWorkFindings.Chart(timings, Reference);
        Assert.Equal(5, chart.Data.Count);
        Assert.Equal(["16", "512"], chart.Table.Rows.Select(r => r[0]));
    }

    [Fact]
    public void TrainingArithmetic_ExplainsTheArticlesMinutesWithThisServersSpeed()
    {
        var cpu = new MeasuredSpeed("cpu", 50, 3, DateTimeOffset.UtcNow);
        var lines = TrainingArithmetic.Lines(cpu, null, Reference);
        var article = lines[0];
        Assert.Equal(42 * 60, article.Seconds);
        Assert.InRange(article.MultiplyAddsPerSecond / 1e9, 4.2, 4.4); // 2000 x 3 x 1.81 G in 42 minutes
        var ours = lines.Single(l => l.What.StartsWith("This server's CPU, LearnDL's"));
        Assert.Equal(40, ours.Seconds, 6);
        Assert.Contains(lines, l => l.What.StartsWith("NVIDIA H200") && l.Seconds < 1);
    }
}
