using LearnDL.Training.Compute;
using LearnDL.Training.Featurization;
using LearnDL.Web.Features.Lessons.Demos;

namespace LearnDL.Web.Tests;

/// <summary>The second edition's demonstrations, checked without a browser: their arithmetic, and lesson 9's real measurement.</summary>
public class LessonDemoLogicTests
{
    private static readonly GpuReference Reference = GpuReference.Load(Path.Combine(AppContext.BaseDirectory, "gpu-reference.json"));

    [Fact]
    public void Amdahl_TheUntouchedPartCapsTheWholeRun()
    {
        var c = new AmdahlCase(Seconds: 100, Part: 0.9, Speedup: 50);
        Assert.Equal(1 / (0.1 + 0.9 / 50), c.Overall, 9);
        Assert.Equal(10 + 1.8, c.NewSeconds, 9);
        Assert.Equal(10, c.Limit, 9);
        Assert.Equal(1, new AmdahlCase(10, 0, 1000).Overall, 9); // nothing sped up, nothing gained
        Assert.Equal(1000, new AmdahlCase(10, 1, 1000).Overall, 6);
        Assert.True(double.IsPositiveInfinity(new AmdahlCase(10, 1, 2).Limit));
    }

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(20, 10.0)]
    [InlineData(40, 100.0)]
    [InlineData(60, 1000.0)]
    public void AmdahlSlider_RunsFrom1To1000OnALogScale(int step, double speedup)
    {
        Assert.Equal(speedup, AmdahlSliders.SpeedupAt(step), 6);
        Assert.Equal(step, AmdahlSliders.StepFor(speedup));
    }

    [Fact]
    public void AccuracyInterval_On60ImagesIsWide_On6000Narrow()
    {
        var small = AccuracyInterval.Of(60, 0.85);
        Assert.InRange(small.Low, 0.73, 0.75); // Wilson, 95%: about 74% to 92%
        Assert.InRange(small.High, 0.91, 0.93);
        Assert.Equal(1 / 60.0, small.PointsPerImage, 9);
        var large = AccuracyInterval.Of(6000, 0.85);
        Assert.True(large.HalfWidth < 0.01);
        var perfect = AccuracyInterval.Of(10, 1.0); // stays within 0..1, and is not a point
        Assert.Equal(1, perfect.High, 9);
        Assert.InRange(perfect.Low, 0.6, 0.8);
    }

    [Fact]
    public void LoadingBottleneck_AGpu100TimesFasterWaitsForTheDecoding()
    {
        // 400 images: 4 s decoding and resizing on one thread, 10 s in the network on the CPU.
        var b = new LoadingBottleneck(400, LoadingSeconds: 4, NetworkSeconds: 10, GpuFactor: 100);
        Assert.Equal(40, b.RateHere, 9);               // the network sets the pace here
        Assert.True(b.LoadingBound);                  // 10 ms decoding against 0.25 ms of network
        Assert.Equal(100, b.RateWithGpu, 9);          // decoding's pace: 100 images/s
        Assert.Equal(2.5, b.RealGain, 9);             // 2.5 times faster, not 100
        Assert.Null(LoadingBottleneck.From(null, 100));
        // Beside a GPU every core but one decodes: on 16 cores, 15 threads give 1,500 images/s, and the 100× network (4,000) still waits.
        var wide = new LoadingBottleneck(400, 4, 10, 100, GpuPreparers: 15);
        Assert.Equal(1500, wide.RateWithGpu, 9);
        Assert.True(wide.LoadingBound);
        Assert.False(new LoadingBottleneck(400, 4, 10, 100, GpuPreparers: 60).LoadingBound); // 6,000 decoded a second: the network is the slower
        var run = new MeasuredRun(Guid.NewGuid(), "cpu", 400, 80, 0.9, 20, [new("decode", 3), new("resize", 1), new("featurize", 10)]);
        Assert.Equal(1, LoadingBottleneck.From(run, 100, cores: 2)!.GpuPreparers);
        Assert.Equal(15, LoadingBottleneck.From(run, 100, cores: 16)!.GpuPreparers);
    }

    [Fact]
    public void JobSizes_CountDecodingOnTheGpuRows_AndSayWhenNothingWasMeasured()
    {
        var head = new HeadTime(0.0001, "a run");
        var rows = JobSizes.Times(cpuImagesPerSecond: 50, loadingImagesPerSecond: 200, Reference, head, cores: 2);
        var big = rows.Single(r => r.Job.Images == 60_000 && r.Job.Kind == TrainingKind.FeaturizeOnce);
        Assert.Equal(60_000 / 50.0 + head.Seconds(60_000, 5), big.CpuSeconds!.Value, 6);
        Assert.Equal(60_000 / Reference.Speed("gpu", false) + head.Seconds(60_000, 5), big.GpuNetworkSeconds, 6);
        // On 2 cores one thread decodes beside a GPU, at 200 images/s: 300 s, far more than the network's few seconds.
        Assert.Equal(300 + head.Seconds(60_000, 5), big.GpuWithLoadingSeconds!.Value, 6);
        // On 16 cores, 15 threads decode: 20 s.
        var wide = JobSizes.Times(50, 200, Reference, head, cores: 16).Single(r => r.Job.Images == 60_000 && r.Job.Kind == TrainingKind.FeaturizeOnce);
        Assert.Equal(60_000 / (200.0 * 15) + head.Seconds(60_000, 5), wide.GpuWithLoadingSeconds!.Value, 6);
        var training = rows.Single(r => r.Job.Kind == TrainingKind.EveryLayer);
        Assert.Equal(60_000 * 10 / Reference.Speed("gpu", true), training.GpuNetworkSeconds, 6); // the measured training speed
        Assert.All(JobSizes.Times(null, null, Reference, null, 2), r => Assert.Null(r.CpuSeconds));
    }

    [Fact]
    public void GpuPresets_OfferTheReferenceAsMeasured_AndTheNotebookCardsAsEstimates()
    {
        var presets = GpuPresets.For(Reference, thisServersGpu: null);
        Assert.Equal(["reference", "t4", "p100"], presets.Select(p => p.Id));
        Assert.Equal(Math.Round(Reference.Speed("gpu", false), 1), presets[0].ImagesPerSecond);
        Assert.Contains("FP32, TF32 off", presets[0].Source);
        Assert.Contains("estimated from the datasheet ratio", presets[1].Source);
        Assert.Equal(Math.Round(Reference.Speed("gpu", false) * 8.1 / 67, 1), presets[1].ImagesPerSecond);
        var withGpu = GpuPresets.For(Reference, new MeasuredSpeed("gpu", 900, 2, DateTimeOffset.UtcNow));
        Assert.Equal(("here", 900.0), (withGpu[0].Id, withGpu[0].ImagesPerSecond));
    }

    [Fact]
    public void BatchFindings_DescribeSpeedAndMemory_AndSetTheReferenceBeside()
    {
        BatchTiming[] timings = [new(1, 20, 60_000_000, 20), new(2, 22, 70_000_000, 11), new(4, 23, 90_000_000, 6), new(8, 24, 130_000_000, 3), new(16, 25, 210_000_000, 2)];
        var text = BatchFindings.Describe(timings, Reference);
        Assert.Contains("batch 1 ran at 20.0 images/s and batch 16 at 25.0 images/s", text);
        Assert.Contains("60.0 MB at batch 1 and 210 MB at batch 16", text);
        Assert.Contains("10.0 MB more per extra image", text);
        Assert.Contains("589 images/s", text);
        var chart = BatchFindings.Chart(timings);
        Assert.Equal(2, chart.Data.Count);
        Assert.Equal(["1", "2", "4", "8", "16"], chart.Table.Rows.Select(r => r[0]));
        Assert.Single(BatchFindings.Chart([new(1, 20, null, 20)]).Data); // no memory figure, no memory bars
    }

    /// <summary>Lesson 9's measurement, for real: ResNet18 on this machine's CPU at two batch sizes.</summary>
    [Fact]
    public void BatchSizeBenchmark_MeasuresSpeedAndMemoryPerBatchSize()
    {
        using var cache = new NetworkCache();
        var model = cache.GetUnpooled();
        Assert.Same(model, cache.GetUnpooled()); // loaded once, kept
        var pixels = BatchDemo.Pixels();
        var timings = BatchSizeBenchmark.Run(model, pixels, [1, 8], minSeconds: 0.2, CancellationToken.None).ToList();
        Assert.Equal([1, 8], timings.Select(t => t.BatchSize));
        Assert.All(timings, t => Assert.True(t.ImagesPerSecond > 0 && t.Calls >= 1));
        if (OperatingSystem.IsLinux())
        {
            Assert.All(timings, t => Assert.NotNull(t.PeakBytes));
            // Eight images' pixels alone are 4.8 MB more than one image's; the network's intermediate results grow too.
            Assert.True(timings[1].PeakBytes > timings[0].PeakBytes + 4_000_000, $"batch 1: {timings[0].PeakBytes} bytes, batch 8: {timings[1].PeakBytes} bytes");
        }
        Assert.Throws<ArgumentException>(() => BatchSizeBenchmark.Run(model, pixels, [32], 0.1, CancellationToken.None).ToList());
    }
}
