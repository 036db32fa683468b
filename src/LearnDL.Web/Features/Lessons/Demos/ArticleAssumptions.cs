namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>A network the explorer offers: its multiply-adds per image at 224×224, split into the part that grows with the image's area (convolutions) and the part that does not (the final layers).</summary>
public sealed record ExplorerNetwork(string Id, string Name, double ConvolutionMultiplyAdds, double FixedMultiplyAdds, string Counted)
{
    public double ForwardAt(int side) => ConvolutionMultiplyAdds * Math.Pow(side / 224.0, 2) + FixedMultiplyAdds;
}

public enum ArticleMethod
{
    /// <summary>Every layer trained: a forward and a backward pass per image per epoch (about 3 forward passes' work, lesson 3).</summary>
    EveryLayer,
    /// <summary>Only a new head trained on a frozen body, in the article's kind of epoch: every image forward through the body each epoch (no features cached).</summary>
    HeadOnly,
}

/// <summary>One choice of the assumptions the article leaves open.</summary>
public sealed record ArticleAssumption(string NetworkId, int ImageSide, ArticleMethod Method);

/// <summary>What the article's times imply on one set of assumptions, against this server's and the reference GPU's measured rates (multiply-adds a second).</summary>
public sealed record ImpliedRates(
    ExplorerNetwork Network, ArticleAssumption Assumption, double WorkPerImage,
    double ArticleCpuRate, double ArticleGpuRate, double? HereCpuRate, double ReferenceGpuRate)
{
    /// <summary>How many times this server's CPU's measured rate exceeds the rate the article's CPU time implies (null before a run here).</summary>
    public double? HereOverArticleCpu => HereCpuRate / ArticleCpuRate;
    /// <summary>The reference GPU's measured rate over the rate the article's GPU time implies.</summary>
    public double ReferenceOverArticleGpu => ReferenceGpuRate / ArticleGpuRate;
}

/// <summary>
/// Lesson 7's explorer: the article gives 42 minutes on a CPU and 33 seconds on a GPU for 2000 images and
/// one epoch, and names no network, image size or training method. Each choice of those implies a rate of
/// multiply-adds a second on each side, which can be set beside rates measured for the same kind of work:
/// this server's CPU (ResNet-18 forward, featurizing) and the reference GPU (its measured forward or
/// training step). Networks are counted from their published architectures, convolution by convolution.
/// </summary>
public static class ArticleAssumptions
{
    public const int Images = 2000;

    private static double Conv(int k, int cin, int cout, int side) => (double)k * k * cin * cout * side * side;

    /// <summary>A small CNN of the kind beginner tutorials train: two 3×3 convolutions (32 and 64 channels, each followed by 2×2 pooling), a 128-unit layer and a 10-class one.</summary>
    public static readonly ExplorerNetwork SmallCnn = new("small-cnn", "a small CNN (2 convolutions, 32 and 64 channels)",
        Conv(3, 3, 32, 224) + Conv(3, 32, 64, 112), 64.0 * 56 * 56 * 128 + 128 * 10,
        "counted from its layers: 3×3 convolutions 3→32 at 224×224 and 32→64 at 112×112, then 64×56×56→128 and 128→10 (the first of these grows with the image too; counted here at 224×224)");

    public static readonly ExplorerNetwork ResNet18 = new("resnet18", "ResNet18 (LearnDL's network)",
        ResNet18Work.Stages.Where(s => s.Name != "fc").Sum(s => (double)s.MultiplyAdds), 512.0 * 1000,
        "counted from its architecture (He et al., 2016, table 1), as in lesson 3");

    public static readonly ExplorerNetwork ResNet50 = new("resnet50", "ResNet50", ResNet50Convolutions(), 2048.0 * 1000,
        "counted from its architecture (He et al., 2016, table 1: bottleneck blocks of 1×1, 3×3 and 1×1 convolutions, 3, 4, 6 and 3 of them; torchvision's layout)");

    public static readonly ExplorerNetwork Vgg16 = new("vgg16", "VGG16", Vgg16Convolutions(), 512.0 * 7 * 7 * 4096 + 4096.0 * 4096 + 4096.0 * 1000,
        "counted from its architecture (Simonyan and Zisserman, 2015, configuration D: thirteen 3×3 convolutions and three fully connected layers)");

    public static IReadOnlyList<ExplorerNetwork> Networks { get; } = [SmallCnn, ResNet18, ResNet50, Vgg16];

    /// <summary>The course's own assumption, said as one wherever lessons explain the article's times.</summary>
    public static readonly ArticleAssumption Course = new("resnet18", 224, ArticleMethod.EveryLayer);

    public static ImpliedRates Implied(ArticleAssumption assumption, MeasuredSpeed? hereCpu, GpuReference reference)
    {
        var network = Networks.FirstOrDefault(n => n.Id == assumption.NetworkId) ?? throw new ArgumentException($"No network '{assumption.NetworkId}' in the explorer.", nameof(assumption));
        var forward = network.ForwardAt(assumption.ImageSide);
        var work = assumption.Method == ArticleMethod.EveryLayer ? ResNet18Work.TrainingStepFactor * forward : forward;
        double resnetForward = ResNet18Work.ForwardMultiplyAdds;
        // The reference GPU's rate for the same kind of work: its measured training step (every layer) or forward pass (head only), in ResNet-18's multiply-adds.
        var referenceRate = assumption.Method == ArticleMethod.EveryLayer
            ? reference.Speed("gpu", train: true) * ResNet18Work.TrainingStepFactor * resnetForward
            : reference.Speed("gpu", train: false) * resnetForward;
        return new(network, assumption, work,
            Images * work / TrainingArithmetic.ArticleCpuSeconds, Images * work / TrainingArithmetic.ArticleGpuSeconds,
            hereCpu is { } c ? c.ImagesPerSecond * resnetForward : null, referenceRate);
    }

    /// <summary>The explorer's conclusion, in words, from its numbers (never a fixed sentence).</summary>
    public static string Describe(ImpliedRates r, GpuReference reference)
    {
        static string X(double f) => f.ToString(f >= 10 ? "N0" : "0.#", System.Globalization.CultureInfo.InvariantCulture) + " times";
        var cpu = r.HereOverArticleCpu switch
        {
            null => "Run a Try-it on this server to set its CPU's measured rate beside the article's.",
            >= 1 and var h => $"This server's CPU measured {X(h)} the rate the article's 42 minutes imply.",
            var h => $"The article's CPU would have done {X(1 / h.Value)} this server's CPU's measured rate.",
        };
        var g = r.ReferenceOverArticleGpu;
        var gpu = g >= 1
            ? $"The reference {reference.Gpu} measured {X(g)} the rate the article's 33 seconds imply."
            : $"The article's GPU would have needed {X(1 / g)} the reference {reference.Gpu}'s measured rate for this work: an unlikely assumption.";
        return $"On these assumptions: {cpu} {gpu}";
    }

    private static double ResNet50Convolutions()
    {
        var total = Conv(7, 3, 64, 112);
        int cin = 64, side = 56;
        foreach (var (mid, blocks, stride) in new[] { (64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2) })
        {
            var output = mid * 4;
            for (var b = 0; b < blocks; b++)
            {
                var inSide = side;
                var outSide = b == 0 ? side / stride : side;
                total += Conv(1, cin, mid, inSide) + Conv(3, mid, mid, outSide) + Conv(1, mid, output, outSide);
                if (b == 0) total += Conv(1, cin, output, outSide); // the projection shortcut
                cin = output; side = outSide;
            }
        }
        return total;
    }

    private static double Vgg16Convolutions()
    {
        double total = 0;
        int cin = 3, side = 224;
        foreach (var (channels, count) in new[] { (64, 2), (128, 2), (256, 3), (512, 3), (512, 3) })
        {
            for (var i = 0; i < count; i++) { total += Conv(3, cin, channels, side); cin = channels; }
            side /= 2;
        }
        return total;
    }
}
