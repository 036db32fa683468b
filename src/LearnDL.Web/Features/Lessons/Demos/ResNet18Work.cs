namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>A stage of ResNet-18 and the multiply-adds its convolutions do for one 224x224 image.</summary>
public sealed record NetworkStage(string Name, string Shape, long MultiplyAdds);

/// <summary>
/// Where ResNet-18's arithmetic is, counted from its architecture (He et al., 2016): each convolution
/// does kernel × kernel × input channels × output channels × output height × output width
/// multiply-adds. The total, about 1.8 billion per 224x224 image, is the figure the paper gives.
/// Every convolution's work grows with the pixels, so the total scales with the image's area.
/// </summary>
public static class ResNet18Work
{
    public const int BaseSize = 224;
    /// <summary>A training step: the forward pass, then a backward pass costing about twice as much.</summary>
    public const int TrainingStepFactor = 3;

    private static long Conv(int k, int cin, int cout, int side) => (long)k * k * cin * cout * side * side;

    public static IReadOnlyList<NetworkStage> Stages { get; } =
    [
        new("conv1", "7×7 convolution, 3→64 channels, 112×112", Conv(7, 3, 64, 112)),
        new("layer1", "4 convolutions 3×3, 64 channels, 56×56", 4 * Conv(3, 64, 64, 56)),
        new("layer2", "4 convolutions 3×3 + 1×1 shortcut, 128 channels, 28×28", Conv(3, 64, 128, 28) + 3 * Conv(3, 128, 128, 28) + Conv(1, 64, 128, 28)),
        new("layer3", "4 convolutions 3×3 + 1×1 shortcut, 256 channels, 14×14", Conv(3, 128, 256, 14) + 3 * Conv(3, 256, 256, 14) + Conv(1, 128, 256, 14)),
        new("layer4", "4 convolutions 3×3 + 1×1 shortcut, 512 channels, 7×7", Conv(3, 256, 512, 7) + 3 * Conv(3, 512, 512, 7) + Conv(1, 256, 512, 7)),
        new("fc", "1000-class layer (LearnDL stops before it: its 512 features are the output)", 512L * 1000),
    ];

    public static long ForwardMultiplyAdds => Stages.Sum(s => s.MultiplyAdds);

    /// <summary>ResNet18's weights, with its 1000-class layer (torchvision's resnet18 counts the same).</summary>
    public const long Weights = 11_689_512;

    /// <summary>
    /// Numbers the convolutions output for one 224x224 image (conv1; layer1's four; five in each later
    /// stage, counting its 1x1 shortcut). Training keeps them for the backward pass, so they are a floor
    /// under its memory per image; the normalisation and activation layers between them keep more.
    /// </summary>
    public static long ConvolutionOutputValues { get; } =
        64L * 112 * 112 + 4L * 64 * 56 * 56 + 5L * 128 * 28 * 28 + 5L * 256 * 14 * 14 + 5L * 512 * 7 * 7;

    /// <summary>Multiply-adds of a stage for a square image of <paramref name="side"/> pixels (the last layer does not grow).</summary>
    public static double Scaled(NetworkStage stage, int side) =>
        stage.Name == "fc" ? stage.MultiplyAdds : stage.MultiplyAdds * Math.Pow(side / (double)BaseSize, 2);
}
