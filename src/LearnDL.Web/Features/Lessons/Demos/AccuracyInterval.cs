namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>What an accuracy measured on n held-out images can tell: each image's weight, and a 95% interval.</summary>
public sealed record AccuracyRange(int Images, double Accuracy, double Low, double High, double PointsPerImage)
{
    public double HalfWidth => (High - Low) / 2;
}

/// <summary>
/// The Wilson score interval (Wilson, 1927) at 95%: the range of true accuracies that would give the
/// measured one with reasonable chance. It stays within 0 to 1 and behaves on small samples, where the
/// plain normal approximation does not.
/// </summary>
public static class AccuracyInterval
{
    private const double Z = 1.959964; // 95%, two-sided

    public static AccuracyRange Of(int images, double accuracy)
    {
        if (images < 1) throw new ArgumentOutOfRangeException(nameof(images), "At least one held-out image is needed.");
        var p = Math.Clamp(accuracy, 0, 1);
        double n = images, z2 = Z * Z;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = Z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
        return new(images, p, Math.Max(0, centre - half), Math.Min(1, centre + half), 1.0 / images);
    }
}
