namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>One line of lesson 7's arithmetic: a way of doing the article's 2000 images, its time, and the speed that implies.</summary>
public sealed record ArithmeticLine(string What, string Source, double Seconds, double MultiplyAddsPerImage)
{
    public double MultiplyAddsPerSecond => CompareImages * MultiplyAddsPerImage / Seconds;
    public const int CompareImages = 2000;
}

/// <summary>
/// Why this server's CPU does the article's 2000 images in about a minute when the article's took 42:
/// the same arithmetic for each way of doing it, from the article's times, this server's measured
/// speed and a reference GPU's. The article's network and method are not known; the work is counted as if it
/// trained every layer of ResNet-18 at 224x224 (labelled as an assumption on the page; see AssumptionExplorer).
/// </summary>
public static class TrainingArithmetic
{
    public const double ArticleCpuSeconds = 42 * 60;
    public const double ArticleGpuSeconds = 33;

    /// <summary>The article gives its times, not its network, image size or training method: those are the course's assumptions.</summary>
    public const string AssumedSource = "the article's time; the network, image size and training method are assumptions (the article names none)";

    public static IReadOnlyList<ArithmeticLine> Lines(MeasuredSpeed? cpu, MeasuredSpeed? gpu, GpuReference reference)
    {
        double forward = ResNet18Work.ForwardMultiplyAdds, step = ResNet18Work.TrainingStepFactor * forward;
        const int n = ArithmeticLine.CompareImages;
        var lines = new List<ArithmeticLine>
        {
            new("The article, CPU: 1 epoch, assuming every layer of ResNet18 at 224×224 was trained", AssumedSource, ArticleCpuSeconds, step),
            new("The article, GPU: 1 epoch, on the same assumption", AssumedSource, ArticleGpuSeconds, step),
        };
        if (cpu is not null)
        {
            lines.Add(new("This server's CPU, LearnDL's way: each image forward once", $"measured here ({cpu.ImagesPerSecond:0.0} images/s)", n / cpu.ImagesPerSecond, forward));
            var cost = TrainingCost.From(reference);
            lines.Add(new("This server's CPU, if it trained every layer for 1 epoch", $"estimated from the line above with the reference file's measured training step ({cost.Cpu:0.0}× the forward pass's time on a CPU)",
                TrainingTime.Seconds(n, 1, TrainingKind.EveryLayer, cpu.ImagesPerSecond, cost.Cpu, null), step));
        }
        if (gpu is not null)
            lines.Add(new("This server's GPU, LearnDL's way", $"measured here ({gpu.ImagesPerSecond:0.0} images/s)", n / gpu.ImagesPerSecond, forward));
        lines.Add(new($"{reference.Gpu}: training every layer, 1 epoch", reference.Source, n / reference.Speed("gpu", train: true), step));
        lines.Add(new($"That machine's {reference.CpuThreads}-thread CPU: training every layer", reference.Source, n / reference.Speed("cpu", train: true), step));
        return lines;
    }

    /// <summary>
    /// The table's conclusion in words, produced from its lines (null before this server has a CPU run): how the
    /// work and the speed compare with the article's, whichever way they fall on this server.
    /// </summary>
    public static string? Summary(IReadOnlyList<ArithmeticLine> lines)
    {
        if (lines.FirstOrDefault(l => l.What.StartsWith("This server's CPU, LearnDL's", StringComparison.Ordinal)) is not { } ours) return null;
        var article = lines[0];
        static string X(double f) => f.ToString(f >= 10 ? "N0" : "0.#", System.Globalization.CultureInfo.InvariantCulture) + "×";
        var work = article.MultiplyAddsPerImage / ours.MultiplyAddsPerImage;
        var speed = ours.MultiplyAddsPerSecond / article.MultiplyAddsPerSecond;
        var time = article.Seconds / ours.Seconds;
        var speedText = speed >= 1
            ? $"this CPU does {X(speed)} the multiply-adds a second that the article's 42 minutes imply"
            : $"this CPU does fewer multiply-adds a second than the article's 42 minutes imply ({X(1 / speed)} fewer)";
        var timeText = time >= 1 ? $"together, {X(time)} less time" : $"together still {X(1 / time)} more time than the article's CPU";
        return $"On the course's assumption (every layer of ResNet18 at 224×224), LearnDL does 1/{work:0} of the work per image (forward only, once), and {speedText}: {timeText}.";
    }
}
