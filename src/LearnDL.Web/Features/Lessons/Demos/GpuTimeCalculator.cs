namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>A price per hour for GPU time, from configuration; lessons label them as examples.</summary>
public sealed class GpuPrice
{
    public string Name { get; set; } = "";
    public decimal PerHour { get; set; }
}

public enum TrainingKind
{
    /// <summary>LearnDL's way: every image through the network once, then a small head trained on the features.</summary>
    FeaturizeOnce,
    /// <summary>Training every layer: each epoch runs every image through a full training step (forward and backward).</summary>
    EveryLayer,
}

/// <summary>A job for the calculator: forward speeds, and the measured figures that turn them into training time.</summary>
public sealed record CalculatorInput(int Images, int Epochs, TrainingKind Kind, double CpuImagesPerSecond, double GpuImagesPerSecond, decimal PricePerHour,
    TrainingCost Cost, HeadTime? Head);

public sealed record CalculatorResult(double CpuSeconds, double GpuSeconds, decimal GpuCost, double Speedup);

/// <summary>From images per second (forward passes) to the time a job takes on each processor, and what the GPU time costs.</summary>
public static class GpuTimeCalculator
{
    public static IReadOnlyList<string> Check(CalculatorInput input)
    {
        var problems = new List<string>();
        if (input.Images is < 1 or > 100_000_000) problems.Add("Images must be between 1 and 100,000,000.");
        if (input.Epochs is < 1 or > 1000) problems.Add("Epochs must be between 1 and 1,000.");
        if (!(input.CpuImagesPerSecond > 0) || !(input.GpuImagesPerSecond > 0)) problems.Add("Speeds must be more than 0 images per second.");
        if (input.PricePerHour < 0) problems.Add("The price per hour cannot be negative.");
        return problems;
    }

    public static CalculatorResult Estimate(CalculatorInput input)
    {
        var cpu = TrainingTime.Seconds(input.Images, input.Epochs, input.Kind, input.CpuImagesPerSecond, input.Cost.Cpu, input.Head);
        var gpu = TrainingTime.Seconds(input.Images, input.Epochs, input.Kind, input.GpuImagesPerSecond, input.Cost.Gpu, input.Head);
        return new(cpu, gpu, Math.Round((decimal)(gpu / 3600) * input.PricePerHour, 2), cpu / gpu);
    }
}
