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

        var network = new Table().Title($"The network on the {result.Device.ToUpperInvariant()} (batch {result.BatchSize}, {result.Workers} in flight, {result.Preparers} preparing)")
            .AddColumns("Measure", "Images/s");
        network.AddRow("(a) ONNX Runtime alone, tensors in memory", result.RuntimeOnlyImagesPerSecond.ToString("0.0"));
        network.AddRow("(b) engine featurization from image files", result.PipelineImagesPerSecond.ToString("0.0"));
        network.AddRow("[bold]ratio b / a[/]", $"[bold]{result.Ratio:0.00}[/]");
        console.Write(network);
    }
}
