using System.Globalization;
using LearnDL.Training.Featurization;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.Features.Shared;
using Plotly.Blazor;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;

namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>What lesson 9's batch-size measurement says, in words, as a chart and as a table.</summary>
public static class BatchFindings
{
    public static string Describe(IReadOnlyList<BatchTiming> timings, GpuReference reference)
    {
        if (timings.Count == 0) return "Nothing measured yet.";
        var first = timings[0];
        var last = timings[^1];
        var parts = new List<string>
        {
            $"On this server's CPU, batch {first.BatchSize} ran at {Rate(first.ImagesPerSecond)} and batch {last.BatchSize} at {Rate(last.ImagesPerSecond)}: " +
            $"{last.ImagesPerSecond / first.ImagesPerSecond:0.##}× the speed. " + (last.ImagesPerSecond >= 1.5 * first.ImagesPerSecond
                ? "A bigger batch helped this CPU somewhat: fewer calls, each with more work to share among its cores."
                : "A CPU's few cores are kept busy even by one image, so a bigger batch helps it little, or not at all."),
        };
        if (first.PeakBytes is { } small && last.PeakBytes is { } large)
            parts.Add($"Memory grows with the batch: one call took {Mb(small)} at batch {first.BatchSize} and {Mb(large)} at batch {last.BatchSize}, " +
                      $"about {Mb((large - small) / (double)(last.BatchSize - first.BatchSize))} more per extra image.");
        if (reference.At("gpu", 1, false) is { } b1 && reference.At("gpu", 64, false) is { } b64)
            parts.Add($"On the reference {reference.Gpu} ({reference.Precision}), batch 1 gave {Rate(b1)} and batch 64 {Rate(b64)}, {b64 / b1:0}× more: a GPU needs big batches to keep its thousands of lanes busy.");
        return string.Join(" ", parts);
    }

    public static ChartModel Chart(IReadOnlyList<BatchTiming> timings)
    {
        var speed = new Scatter
        {
            Name = "images/s (this server's CPU)",
            Mode = ModeFlag.Lines | ModeFlag.Markers,
            X = timings.Select(t => (object)t.BatchSize).ToList(),
            Y = timings.Select(t => (object)Math.Round(t.ImagesPerSecond, 1)).ToList(),
        };
        var traces = new List<ITrace> { speed };
        if (timings.All(t => t.PeakBytes is not null))
            traces.Add(new Bar
            {
                Name = "MB one call needed",
                X = timings.Select(t => (object)t.BatchSize).ToList(),
                Y = timings.Select(t => (object)Math.Round(t.PeakBytes!.Value / 1e6, 1)).ToList(),
                YAxis = "y2",
                Opacity = 0.4m,
            });
        var layout = RunCharts.BaseLayout("Speed and memory by batch size, measured here", "batch size", "images/s");
        layout.XAxis[0].Type = Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Log;
        layout.XAxis[0].TickVals = timings.Select(t => (object)t.BatchSize).ToList();
        layout.XAxis[0].TickText = timings.Select(t => (object)t.BatchSize.ToString(CultureInfo.InvariantCulture)).ToList();
        layout.YAxis.Add(new Plotly.Blazor.LayoutLib.YAxis
        {
            Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = "MB per call" },
            Overlaying = "y",
            Side = Plotly.Blazor.LayoutLib.YAxisLib.SideEnum.Right,
        });
        layout.Height = 360;
        return new($"batch:{timings.Count}", traces, layout,
            $"Images per second (line) and memory one call needed (bars) at batch sizes {string.Join(", ", timings.Select(t => t.BatchSize))}, on this server's CPU.",
            RunCharts.Table(["batch size", "images/s", "MB one call needed", "MB per image"], timings.Select(t => (IReadOnlyList<string>)
            [
                t.BatchSize.ToString(CultureInfo.InvariantCulture), t.ImagesPerSecond.ToString("0.0", CultureInfo.InvariantCulture),
                t.PeakBytes is { } b ? (b / 1e6).ToString("0.0", CultureInfo.InvariantCulture) : "not measured",
                t.PeakBytes is { } p ? (p / 1e6 / t.BatchSize).ToString("0.0", CultureInfo.InvariantCulture) : "",
            ])));
    }

    private static string Rate(double perSecond) => $"{perSecond.ToString(perSecond >= 100 ? "N0" : "0.0", CultureInfo.InvariantCulture)} images/s";
    private static string Mb(double bytes) => $"{(bytes / 1e6).ToString(bytes >= 1e8 ? "N0" : "0.0", CultureInfo.InvariantCulture)} MB";
}
