using System.Globalization;

using LearnDL.Web.Features.MyGpu;

namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>
/// A GPU speed the calculator offers: its name, forward images per second, where the figure comes from,
/// and how much slower a training step is than the forward pass on it (measured on that card where it
/// was, otherwise the reference GPU's measured ratio).
/// </summary>
public sealed record GpuPreset(string Id, string Name, double ImagesPerSecond, string Source, double TrainingCost);

/// <summary>
/// The GPUs lesson 8's calculator offers: this server's own (when it has run on one), the reference GPU
/// as measured, and the cards of free notebooks, estimated from their datasheets' FP32 ratio to it.
/// </summary>
public static class GpuPresets
{
    public static IReadOnlyList<GpuPreset> For(GpuReference reference, MeasuredSpeed? thisServersGpu, LearnerGpu? learnersGpu = null)
    {
        var measured = reference.Speed("gpu", train: false);
        var cost = Demos.TrainingCost.From(reference).Gpu;
        var presets = new List<GpuPreset>();
        if (learnersGpu is { } mine)
            presets.Add(new("mine", mine.OnGpu ? $"{mine.Name} (your card, measured by you)" : "Your notebook's CPU (no GPU runtime; measured by you)", Math.Round(mine.ForwardImagesPerSecond, 1), mine.Source, mine.TrainingCost));
        if (thisServersGpu is { } gpu)
            presets.Add(new("here", "This server's GPU (measured)", Math.Round(gpu.ImagesPerSecond, 1), $"measured on this server's GPU (median of its last {gpu.Runs} runs)", cost));
        presets.Add(new("reference", $"{reference.Gpu} ({reference.Precision}, measured)", Math.Round(measured, 1), reference.Source, cost));
        foreach (var card in new[] { GpuDatasheets.T4, GpuDatasheets.P100 })
            presets.Add(new(card.Id, $"{card.Name} ({card.WhereLearnersMeetIt}; estimated)", Math.Round(GpuDatasheets.EstimateFromRatio(card, measured), 1),
                $"estimated from the datasheet ratio: {card.Source}, {card.Fp32Tflops.ToString(CultureInfo.InvariantCulture)} TFLOPS FP32, against the {reference.Gpu}'s " +
                $"{GpuDatasheets.H200.Fp32Tflops.ToString(CultureInfo.InvariantCulture)}, times its measured speed; optimistic, as a smaller card's memory bandwidth holds it back first", cost));
        return presets;
    }
}
