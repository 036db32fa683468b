using System.Globalization;
using LearnDL.Training.Runs;
using LearnDL.Web.RunService;
using LearnDL.Web.Features.Shared;
using Plotly.Blazor;
using Plotly.Blazor.LayoutLib;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;

namespace LearnDL.Web.Features.Runs;

/// <summary>Turns run data into charts (live series, epochs, stage times, confusion matrix), each with a summary and its numbers.</summary>
public static class RunCharts
{
    /// <summary>Stages a GPU speeds up (the CNN) and those it does not (everything around it).</summary>
    public static bool GpuAccelerates(string stage) => stage == "featurize";

    public static LineChart Throughput(RunSnapshot s)
    {
        var points = s.Throughput;
        var summary = points.Count == 0 ? "Images per second: no images featurized yet."
            : $"Images per second while featurizing: {points[^1].Value:0.0} at {points[^1].Seconds:0.0} s (highest {points.Max(p => p.Value):0.0}).";
        return Line("throughput", "Throughput (images/s)", "seconds", "images/s", [new("images/s", points)], Version(points), summary,
            Table(["seconds", "images/s"], points.Select(p => new[] { F(p.Seconds, "0.0"), F(p.Value, "0.0") })));
    }

    public static LineChart ImagesDone(RunSnapshot s)
    {
        var points = s.ImagesDone;
        var summary = points.Count == 0 ? "Images featurized: none yet."
            : $"Images featurized: {points[^1].Value:0} of {s.Total} after {points[^1].Seconds:0.0} s.";
        return Line("images", "Images featurized", "seconds", "images", [new("images", points)], Version(points), summary,
            Table(["seconds", "images"], points.Select(p => new[] { F(p.Seconds, "0.0"), F(p.Value, "0") })));
    }

    public static LineChart Epochs(IReadOnlyList<EpochMetrics> epochs)
    {
        IReadOnlyList<ChartPoint> Points(Func<EpochMetrics, double> value) => [.. epochs.Select(e => new ChartPoint(e.Epoch, value(e)))];
        var summary = epochs.Count switch
        {
            0 => "Per-epoch accuracy: no epoch trained yet.",
            1 => $"Held-out accuracy after epoch 1: {epochs[0].TestAccuracy:P1} (training accuracy {epochs[0].TrainAccuracy:P1}).",
            _ => $"Held-out accuracy after epoch 1: {epochs[0].TestAccuracy:P1}; after epoch {epochs[^1].Epoch}: {epochs[^1].TestAccuracy:P1} (training accuracy {epochs[^1].TrainAccuracy:P1}).",
        };
        return Line("epochs", "Per-epoch accuracy and loss", "epoch", "",
        [
            new("train accuracy", Points(e => e.TrainAccuracy)),
            new("held-out accuracy", Points(e => e.TestAccuracy)),
            new("train log-loss", Points(e => e.TrainLogLoss), Dashed: true),
            new("held-out log-loss", Points(e => e.TestLogLoss), Dashed: true),
        ], epochs.Count.ToString(), summary,
            Table(["epoch", "train accuracy", "held-out accuracy", "train log-loss", "held-out log-loss"],
                epochs.Select(e => new[] { e.Epoch.ToString(), F(e.TrainAccuracy, "P1"), F(e.TestAccuracy, "P1"), F(e.TrainLogLoss, "0.000"), F(e.TestLogLoss, "0.000") })));
    }

    /// <summary>One horizontal stacked bar per run: seconds in each stage.</summary>
    public static ChartModel StageBreakdown(IReadOnlyList<(string Label, IReadOnlyList<StageTiming> Stages)> runs)
    {
        var stages = runs.SelectMany(r => r.Stages.Select(s => s.Name)).Distinct().ToList();
        double Seconds((string Label, IReadOnlyList<StageTiming> Stages) run, string stage) => run.Stages.FirstOrDefault(s => s.Name == stage)?.Seconds ?? 0;
        var data = stages.Select(stage => (ITrace)new Bar
        {
            Name = stage + (GpuAccelerates(stage) ? " (GPU speeds this up)" : " (CPU work)"),
            Orientation = Plotly.Blazor.Traces.BarLib.OrientationEnum.H,
            Y = runs.Select(r => (object)r.Label).ToList(),
            X = runs.Select(r => (object)Math.Round(Seconds(r, stage), 3)).ToList(),
        }).ToList();
        var layout = BaseLayout("Where the time went (seconds of work per stage)", "seconds", "");
        layout.BarMode = BarModeEnum.Stack;
        layout.Height = 230 + 50 * runs.Count;
        layout.Margin = new Margin { L = 190, R = 20, T = 50, B = 50 };
        layout.Legend = [new Legend { Orientation = Plotly.Blazor.LayoutLib.LegendLib.OrientationEnum.H, Y = -0.5m }];
        var summary = string.Join(" ", runs.Select(r =>
        {
            var total = r.Stages.Where(s => s.Name is not ("decode" or "resize")).Sum(s => s.Seconds);
            var featurize = Seconds(r, "featurize");
            return $"{r.Label}: featurizing took {featurize:0.0} s of {total:0.0} s ({(total > 0 ? featurize / total : 0):P0}), the part a GPU speeds up.";
        }));
        return new("stages:" + string.Join(",", runs.Select(r => r.Label)), data, layout, summary,
            Table(["run", .. stages.Select(s => s + " (s)")], runs.Select(r => (string[])[r.Label, .. stages.Select(s => F(Seconds(r, s), "0.00"))])));
    }

    public static ChartModel ConfusionMatrix(RunResult result)
    {
        var z = result.ConfusionMatrix.Select(row => (object)row.Select(v => (object)v).ToList()).ToList();
        var layout = BaseLayout("Confusion matrix (rows: actual, columns: predicted)", "predicted", "actual");
        layout.Height = 260 + 22 * result.Classes.Count;
        layout.YAxis[0].AutoRange = Plotly.Blazor.LayoutLib.YAxisLib.AutoRangeEnum.Reversed;
        var right = result.ConfusionMatrix.Select((row, i) => row[i]).Sum();
        var all = result.ConfusionMatrix.Sum(row => row.Sum());
        var worst = result.ConfusionMatrix.SelectMany((row, i) => row.Select((count, j) => (count, i, j))).Where(c => c.i != c.j).MaxBy(c => c.count);
        var summary = $"{right} of {all} held-out images were classified right (the diagonal)." +
            (worst.count > 0 ? $" The most common mistake: {result.Classes[worst.i]} taken for {result.Classes[worst.j]} ({worst.count} times)." : "");
        return new("confusion", [new HeatMap
        {
            Z = z, X = result.Classes.Cast<object>().ToList(), Y = result.Classes.Cast<object>().ToList(),
            // Plotly's "Blues" runs dark to light; reversed, the diagonal of a good model is dark.
            ColorScale = "Blues", ReverseScale = true, TextTemplate = "%{z}",
        }], layout, summary,
            Table(["actual \\ predicted", .. result.Classes], result.ConfusionMatrix.Select((row, i) => (string[])[result.Classes[i], .. row.Select(c => c.ToString())])));
    }

    private static Scatter Series(LineSeries series) => new()
    {
        Name = series.Name,
        Mode = ModeFlag.Lines | ModeFlag.Markers,
        X = series.Points.Select(p => (object)p.Seconds).ToList(),
        Y = series.Points.Select(p => (object)Math.Round(p.Value, 4)).ToList(),
        Line = series.Dashed ? new Line { Dash = "dot" } : null,
    };

    /// <summary>Changes whenever the points do (a downsampled series can keep its count).</summary>
    private static string Version(IReadOnlyList<ChartPoint> points) => points.Count == 0 ? "0" : $"{points.Count}@{points[^1].Seconds:0.###}";

    private static string F(double value, string format) => value.ToString(format, CultureInfo.CurrentCulture);

    internal static ChartTable Table(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows) => new(columns, rows.ToList());

    private static LineChart Line(string key, string title, string xTitle, string yTitle, IReadOnlyList<LineSeries> series, string version, string summary, ChartTable table) =>
        new(title, xTitle, yTitle, series, new($"{key}:{version}", [.. series.Select(s => (ITrace)Series(s))], BaseLayout(title, xTitle, yTitle), summary, table));

    internal static Layout BaseLayout(string title, string xTitle, string yTitle) => new()
    {
        Title = new Title { Text = title },
        XAxis = [new XAxis { Title = new Plotly.Blazor.LayoutLib.XAxisLib.Title { Text = xTitle } }],
        YAxis = [new YAxis { Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = yTitle } }],
        Height = 300,
        Margin = new Margin { L = 60, R = 20, T = 50, B = 50 },
    };
}
