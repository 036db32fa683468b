using System.Globalization;

namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>A GPU speed the calculator offers: its name, forward images per second, and where the figure comes from.</summary>
public sealed record GpuPreset(string Id, string Name, double ImagesPerSecond, string Source);

/// <summary>
/// The GPUs lesson 8's calculator offers: this server's own (when it has run on one), the reference GPU
/// as measured, and the cards of free notebooks, estimated from their datasheets' FP32 ratio to it.
/// </summary>
public static class GpuPresets
{
    public static IReadOnlyList<GpuPreset> For(GpuReference reference, MeasuredSpeed? thisServersGpu)
    {
        var measured = reference.Speed("gpu", train: false);
        var presets = new List<GpuPreset>();
        if (thisServersGpu is { } gpu)
            presets.Add(new("here", "This server's GPU (measured)", Math.Round(gpu.ImagesPerSecond, 1), $"measured on this server's GPU (median of its last {gpu.Runs} runs)"));
        presets.Add(new("reference", $"{reference.Gpu} ({reference.Precision}, measured)", Math.Round(measured, 1), reference.Source));
        foreach (var card in new[] { GpuDatasheets.T4, GpuDatasheets.P100 })
            presets.Add(new(card.Id, $"{card.Name} ({card.WhereLearnersMeetIt}; estimated)", Math.Round(GpuDatasheets.EstimateFromRatio(card, measured), 1),
                $"estimated from the datasheet ratio: {card.Source}, {card.Fp32Tflops.ToString(CultureInfo.InvariantCulture)} TFLOPS FP32, against the {reference.Gpu}'s " +
                $"{GpuDatasheets.H200.Fp32Tflops.ToString(CultureInfo.InvariantCulture)}, times its measured speed; optimistic, as a smaller card's memory bandwidth holds it back first"));
        return presets;
    }
}
