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

    /// <summary>The second edition's calculator used 3× the forward time where lesson 5 used the measured training speed (397.6 s against 458 s for one job).</summary>
    [Fact]
    public void Calculator_TrainingEveryLayer_UsesTheMeasuredTrainingCost_AndTheHeadTimeMeasuredHere()
    {
        var cost = new TrainingCost(Cpu: 2.5, Gpu: 4);
        var head = new HeadTime(0.001, "a run");
        var every = GpuTimeCalculator.Estimate(new(2000, 10, TrainingKind.EveryLayer, CpuImagesPerSecond: 50, GpuImagesPerSecond: 5000, PricePerHour: 3.6m, cost, head));
        Assert.Equal(2000 * 10 * 2.5 / 50.0, every.CpuSeconds, 6);
        Assert.Equal(16, every.GpuSeconds, 6);   // 20,000 images at 5000 / 4 = 1,250 a second
        Assert.Equal(0.02m, every.GpuCost);      // 16 s at 3.60 an hour
        var once = GpuTimeCalculator.Estimate(new(2000, 10, TrainingKind.FeaturizeOnce, 50, 5000, 3.6m, cost, head));
        Assert.Equal(2000 / 50.0 + 0.001 * 2000 * 10, once.CpuSeconds, 6);
        Assert.Equal(2000 / 50.0, GpuTimeCalculator.Estimate(new(2000, 10, TrainingKind.FeaturizeOnce, 50, 5000, 3.6m, cost, null)).CpuSeconds, 6);
        Assert.Contains("Speeds must be more than 0", GpuTimeCalculator.Check(new(10, 1, TrainingKind.FeaturizeOnce, 0, 1, 1, cost, null))[0]);
    }

    [Fact]
    public void TrainEveryLayer_IsOneRule_Lesson5sTableLesson8sCalculatorAndTheFiguresAgree()
    {
        var cost = TrainingCost.From(Reference);
        var table = JobSizes.Times(50, 200, Reference, null, cores: 2).Single(r => r.Job.Kind == TrainingKind.EveryLayer);
        var calculator = GpuTimeCalculator.Estimate(new(table.Job.Images, table.Job.Epochs, TrainingKind.EveryLayer, 50, Reference.Speed("gpu", false), 0, cost, null));
        Assert.Equal(table.GpuNetworkSeconds, calculator.GpuSeconds, 6);
        Assert.Equal(table.CpuSeconds!.Value, calculator.CpuSeconds, 6);
        // The reference GPU at its measured training speed: 60,000 × 10 / 2,620 images a second, not 3 × the forward time.
        Assert.Equal(60_000 * 10 / Reference.Speed("gpu", true), calculator.GpuSeconds, 6);
        Assert.Equal(LearnDL.Web.Features.Shared.Durations.InWords(60_000 * 20 / Reference.Speed("gpu", true)),
            new LearnDL.Web.Features.Lessons.CourseNumbers(Reference, LearnDL.Web.Features.Lessons.ServerFigures.None)["calc.60k20.ref"].Text);
    }

    [Fact]
    public void HeadTime_IsMeasuredFromThisServersLastRun_NotAConstant()
    {
        var run = new MeasuredRun(Guid.NewGuid(), "cpu", 400, 80, 0.9, 20, [new("featurize", 15), new("train", 2)], Epochs: 5);
        var head = HeadTime.From(run)!;
        Assert.Equal(2.0 / 400 / 5, head.SecondsPerImageEpoch, 9);
        Assert.Equal(2.0, head.Seconds(400, 5), 9);
        Assert.Contains("5 epochs on 400 images", head.Source);
        Assert.Null(HeadTime.From(run with { Epochs = 0 }));
        Assert.Null(HeadTime.From(null));
        Assert.DoesNotContain("HeadSecondsPerEpoch", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "lessons", "08-where-to-get-a-gpu.md")));
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

/// <summary>Lesson 7's assumption explorer: networks counted from their architectures, and what the article's times imply on each assumption.</summary>
public class AssumptionExplorerTests
{
    private static readonly GpuReference Reference = GpuReference.Load(Path.Combine(AppContext.BaseDirectory, "gpu-reference.json"));

    [Fact]
    public void Networks_AreCountedFromTheirPublishedArchitectures()
    {
        double At224(ExplorerNetwork n) => n.ForwardAt(224) / 1e9;
        Assert.Equal(ResNet18Work.ForwardMultiplyAdds / 1e9, At224(ArticleAssumptions.ResNet18), 6);
        Assert.InRange(At224(ArticleAssumptions.ResNet50), 4.05, 4.15);   // torchvision's resnet50: 4.09 G multiply-adds (He et al.: 3.8 × 10⁹ for the original layout)
        Assert.InRange(At224(ArticleAssumptions.Vgg16), 15.3, 15.6);      // VGG16: 15.5 G multiply-adds
        Assert.InRange(At224(ArticleAssumptions.SmallCnn), 0.2, 0.4);
        // Convolutions grow with the area; the final layers do not.
        var r = ArticleAssumptions.ResNet18;
        Assert.Equal(4 * r.ConvolutionMultiplyAdds + r.FixedMultiplyAdds, r.ForwardAt(448), 0);
    }

    [Fact]
    public void TheCoursesAssumption_ImpliesAFewBillionMultiplyAddsASecond_ForTheArticlesCpu()
    {
        var here = new MeasuredSpeed("cpu", 50, 3, DateTimeOffset.UtcNow);
        var r = ArticleAssumptions.Implied(ArticleAssumptions.Course, here, Reference);
        Assert.Equal(3 * ResNet18Work.ForwardMultiplyAdds, r.WorkPerImage, 0);
        Assert.Equal(2000 * r.WorkPerImage / (42 * 60), r.ArticleCpuRate, 0);
        Assert.InRange(r.ArticleCpuRate / 1e9, 4.2, 4.4);          // the same figure lesson 7's table gives
        Assert.Equal(50 * ResNet18Work.ForwardMultiplyAdds, r.HereCpuRate!.Value, 0);
        Assert.Equal(Reference.Speed("gpu", true) * 3 * ResNet18Work.ForwardMultiplyAdds, r.ReferenceGpuRate, 0); // its measured training step
        Assert.Contains("This server's CPU measured", ArticleAssumptions.Describe(r, Reference));
    }

    [Fact]
    public void OtherAssumptions_ChangeWhatTheTimesImply_AndTheSentenceFollowsTheNumbers()
    {
        // Against a card a tenth of the H200's speed, VGG16 trained in 33 seconds would need more than it measured.
        var slow = new GpuReference
        {
            Gpu = "a slower card", CpuThreads = 4, Measured = "2026-12-07", Software = "2.5",
            Network = [.. Reference.Network.Select(n => n.Device == "gpu" ? n with { ImagesPerSecond = n.ImagesPerSecond / 10 } : n)], Multiply = [],
        };
        var vgg = ArticleAssumptions.Implied(new("vgg16", 224, ArticleMethod.EveryLayer), null, slow);
        Assert.True(vgg.ArticleGpuRate > vgg.ReferenceGpuRate);
        Assert.Contains("would have needed", ArticleAssumptions.Describe(vgg, slow));
        Assert.Contains("unlikely", ArticleAssumptions.Describe(vgg, slow));
        Assert.True(ArticleAssumptions.Implied(new("vgg16", 224, ArticleMethod.EveryLayer), null, Reference).ReferenceOverArticleGpu > 1); // the H200 itself would manage it
        var head = ArticleAssumptions.Implied(new("small-cnn", 28, ArticleMethod.HeadOnly), null, Reference);
        Assert.True(head.ReferenceOverArticleGpu > 1);
        Assert.Contains("measured", ArticleAssumptions.Describe(head, Reference));
        Assert.Contains("Run a Try-it", ArticleAssumptions.Describe(head, Reference)); // nothing measured here yet: no sentence about this server
        Assert.Equal(head.WorkPerImage, ArticleAssumptions.SmallCnn.ForwardAt(28), 0); // head only: one forward pass per image per epoch
        Assert.Throws<ArgumentException>(() => ArticleAssumptions.Implied(new("alexnet", 224, ArticleMethod.EveryLayer), null, Reference));
    }
}
