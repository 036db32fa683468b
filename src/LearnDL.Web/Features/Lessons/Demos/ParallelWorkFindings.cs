using System.Globalization;
using LearnDL.Training.Compute;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.Features.Shared;
using Plotly.Blazor;
using Plotly.Blazor.LayoutLib;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;

namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>What lesson 2's measurements say, in words and as a chart: where parallel hardware wins, and where starting it costs more than it gains.</summary>
public static class ParallelWorkFindings
{
    /// <summary>The demonstration's heading: the plain loop and lesson 2's four ways to beat it, with which of them this server measures.</summary>
    public static string Heading(bool gpuHere) => gpuHere
        ? "Measure it: the plain loop and the four ways to beat it (SIMD, every core with SIMD, a tuned library, a GPU), all on this server"
        : "Measure it: the plain loop and three of the four ways to beat it on this server (SIMD, every core with SIMD, a tuned library); the GPU line is the reference GPU's";

    /// <summary>How many times faster the tuned library was than one multiply-add at a time, at the largest size measured; null until both are measured.</summary>
    public static double? LibrarySpeedup(IReadOnlyList<MultiplyTiming> timings)
    {
        if (timings.Count == 0) return null;
        var largest = timings.Max(t => t.Size);
        var scalar = timings.FirstOrDefault(t => t.Method == MultiplyMethod.OneThread && t.Size == largest);
        var library = timings.FirstOrDefault(t => t.Method == MultiplyMethod.Library && t.Size == largest);
        return scalar is not null && library is { Seconds: > 0 } ? scalar.Seconds / library.Seconds : null;
    }

    public static string Describe(IReadOnlyList<MultiplyTiming> timings, GpuReference reference)
    {
        if (timings.Count == 0) return "Nothing measured yet.";
        double? At(MultiplyMethod m, int n) => timings.FirstOrDefault(t => t.Method == m && t.Size == n)?.Seconds;
        var largest = timings.Max(t => t.Size);
        var smallest = timings.Min(t => t.Size);
        var parts = new List<string>();
        if (At(MultiplyMethod.OneThread, largest) is { } scalar)
        {
            parts.Add($"At {largest}×{largest}, one core doing one multiply-add at a time took {Ms(scalar)}.");
            var faster = timings.Where(t => t.Size == largest && t.Method != MultiplyMethod.OneThread)
                .Select(t => $"{t.Method.Title()}, {scalar / t.Seconds:0.#}× faster");
            parts.Add("Against that: " + string.Join("; ", faster) + ".");
        }
        if (At(MultiplyMethod.Simd, smallest) is { } simd && At(MultiplyMethod.AllCores, smallest) is { } cores && cores > simd)
            parts.Add($"At {smallest}×{smallest}, spreading the work over the cores was {cores / simd:0.#}× slower than SIMD on one core: starting parallel work cost more than the work itself.");
        var refSmall = reference.Multiply.FirstOrDefault(m => m.Device == "gpu" && m.N == smallest);
        var refLarge = reference.Multiply.FirstOrDefault(m => m.Device == "gpu" && m.N == largest);
        var best = timings.Where(t => t.Size == largest && t.Method != MultiplyMethod.Gpu).MinBy(t => t.Seconds);
        if (At(MultiplyMethod.Gpu, largest) is { } gpu && best is not null)
            parts.Add($"This server's GPU took {Ms(gpu)} at {largest}×{largest}, {best.Seconds / gpu:0.#}× the speed of its best CPU way.");
        else if (refSmall is not null && refLarge is not null && best is not null)
            parts.Add($"This server has no usable GPU (the doctor says why). For comparison, {reference.Source}: a {smallest}×{smallest} multiply took {Ms(refSmall.Seconds)} " +
                      $"(launching the work and waiting for it: that script creates its matrices on the card, so no copy is timed), a {largest}×{largest} one {Ms(refLarge.Seconds)}, " +
                      $"{best.Seconds / refLarge.Seconds:0.#}× faster than this server's best. A GPU line measured here would include copying the matrices to the card and back.");
        return string.Join(" ", parts);
    }

    public static ChartModel Chart(IReadOnlyList<MultiplyTiming> timings, GpuReference reference)
    {
        var traces = timings.GroupBy(t => t.Method).Select(g => (ITrace)new Scatter
        {
            Name = g.Key.Title(),
            Mode = ModeFlag.Lines | ModeFlag.Markers,
            X = g.Select(t => (object)t.Size).ToList(),
            Y = g.Select(t => (object)Math.Round(t.Seconds * 1e3, 5)).ToList(),
        }).ToList();
        var gpu = reference.Multiply.Where(m => m.Device == "gpu" && m.N <= MatrixMultiplyBenchmark.MaxSize).ToList();
        traces.Add(new Scatter
        {
            Name = $"{reference.Gpu} (reference, PyTorch, {reference.Precision}; matrices already on the card, no copies)",
            Mode = ModeFlag.Lines | ModeFlag.Markers,
            Line = new Line { Dash = "dot" },
            X = gpu.Select(m => (object)m.N).ToList(),
            Y = gpu.Select(m => (object)Math.Round(m.Seconds * 1e3, 5)).ToList(),
        });
        var layout = RunCharts.BaseLayout("Time for one n×n matrix multiply (log scales)", "n (matrix side)", "milliseconds");
        layout.XAxis[0].Type = Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Log;
        layout.XAxis[0].TickVals = MatrixMultiplyBenchmark.Sizes.Cast<object>().ToList();
        layout.XAxis[0].TickText = MatrixMultiplyBenchmark.Sizes.Select(n => (object)n.ToString()).ToList();
        layout.YAxis[0].Type = Plotly.Blazor.LayoutLib.YAxisLib.TypeEnum.Log;
        layout.Height = 380;
        layout.Legend = [new Legend { Orientation = Plotly.Blazor.LayoutLib.LegendLib.OrientationEnum.H, Y = -0.3m }];
        var methods = timings.Select(t => t.Method).Distinct().ToList();
        var sizes = timings.Select(t => t.Size).Distinct().Order().ToList();
        var rows = sizes.Select(n => (IReadOnlyList<string>)[n.ToString(), .. methods.Select(m =>
            timings.FirstOrDefault(t => t.Method == m && t.Size == n) is { } t ? Ms(t.Seconds) : "")]);
        return new($"parallel:{timings.Count}", traces, layout, $"Time per multiply by matrix size, one line per way of doing it ({timings.Count} measurements).",
            RunCharts.Table(["n", .. methods.Select(m => m.Title())], rows));
    }

    private static string Ms(double seconds) =>
        seconds < 1e-3 ? $"{(seconds * 1e6).ToString("0.#", CultureInfo.CurrentCulture)} µs" : $"{(seconds * 1e3).ToString("0.##", CultureInfo.CurrentCulture)} ms";
}
