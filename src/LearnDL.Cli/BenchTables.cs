using LearnDL.Training.Featurization;
using Spectre.Console;

namespace LearnDL.Cli;

/// <summary>`learndl bench` as tables: where the time goes, preparation apart from the network, and the ratios.</summary>
public static class BenchTables
{
    public static void Write(IAnsiConsole console, BenchmarkResult result)
    {
        var preparation = new Table().Title("Preparation alone (decode, resize, lay out)")
            .AddColumns("Dataset", "Images", "1 thread, img/s", "All cores, img/s", "Threads", "All / one", "1 thread / network");
        foreach (var (name, p) in result.Preparation)
            preparation.AddRow(name, p.Images.ToString("N0"), p.OneThreadImagesPerSecond.ToString("N0"), p.AllCoresImagesPerSecond.ToString("N0"),
                p.Threads.ToString(), $"{p.AllCoresOverOneThread:0.00}x", $"{result.OneThreadOverNetwork[name]:0.0}x");
        console.Write(preparation);

        var network = new Table().Title($"The network on the {result.Device.ToUpperInvariant()} (batch {result.BatchSize}, {result.BatchesInFlight} in flight, {result.Preparers} preparing)")
            .AddColumns("Measure", "Images/s");
        network.AddRow("(a) ONNX Runtime alone, tensors in memory", result.RuntimeOnlyImagesPerSecond.ToString("0.0"));
        network.AddRow("(b) engine featurization from image files", result.PipelineImagesPerSecond.ToString("0.0"));
        network.AddRow("[bold]ratio b / a[/]", $"[bold]{result.Ratio:0.00}[/]");
        console.Write(network);
        if (result.Precisions is not { } precisions) return;

        var table = new Table().Title("FP32 and INT8, one after the other in this run").AddColumns("Precision", "(a) runtime alone, img/s", "(b) pipeline, img/s", "b / a");
        foreach (var (name, p) in precisions)
            table.AddRow(name.ToUpperInvariant(), p.RuntimeOnlyImagesPerSecond.ToString("0.0"), p.PipelineImagesPerSecond.ToString("0.0"), p.Ratio.ToString("0.00"));
        console.Write(table);
        if (result.Int8OverFp32 is { } speedUp) console.MarkupLineInterpolated($"[bold]INT8 / FP32 (runtime alone): {speedUp:0.00}x[/]");
        if (result.MaxFeatureDifference is { } difference) console.MarkupLineInterpolated($"Largest difference of any feature, FP32 vs INT8, on 50 images: {difference:0.000}");
        if (result.Int8Kernels is { } kernels) console.MarkupLineInterpolated($"ONNX Runtime runs INT8 {kernels.Describe()}.");
        if (result.Int8Instructions is { } instructions)
            console.MarkupLineInterpolated($"8-bit instructions of this CPU: {(instructions.Count > 0 ? string.Join(", ", instructions) : "none")}.");
    }
}
