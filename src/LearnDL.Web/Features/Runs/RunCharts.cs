using LearnDL.Training.Training;
using LearnDL.Web.RunService;
using LearnDL.Web.Features.Shared;
using Plotly.Blazor;
using Plotly.Blazor.LayoutLib;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;

namespace LearnDL.Web.Features.Runs;

/// <summary>Turns run data into Plotly charts: live series, epochs, stage times, confusion matrix.</summary>
public static class RunCharts
{
    /// <summary>Stages a GPU speeds up (the CNN) and those it does not (everything around it).</summary>
    public static bool GpuAccelerates(string stage) => stage == "featurize";

    public static ChartModel Throughput(RunSnapshot s) =>
        Line("throughput", "Throughput (images/s)", "seconds", "images/s",
            [Series("images/s", s.Throughput.Select(p => p.Seconds), s.Throughput.Select(p => p.Value))], Version(s.Throughput));

    public static ChartModel ImagesDone(RunSnapshot s) =>
        Line("images", "Images featurized", "seconds", "images",
            [Series("images", s.ImagesDone.Select(p => p.Seconds), s.ImagesDone.Select(p => p.Value))], Version(s.ImagesDone));

    public static ChartModel Epochs(IReadOnlyList<EpochMetrics> epochs)
    {
        var x = epochs.Select(e => (double)e.Epoch).ToList();
        return Line("epochs", "Per-epoch accuracy and loss", "epoch", "",
        [
            Series("train accuracy", x, epochs.Select(e => e.TrainAccuracy)),
            Series("held-out accuracy", x, epochs.Select(e => e.TestAccuracy)),
            Series("train log-loss", x, epochs.Select(e => e.TrainLogLoss), dash: true),
            Series("held-out log-loss", x, epochs.Select(e => e.TestLogLoss), dash: true),
        ], epochs.Count.ToString());
    }

    /// <summary>One horizontal stacked bar per run: seconds in each stage.</summary>
    public static ChartModel StageBreakdown(IReadOnlyList<(string Label, IReadOnlyList<StageTiming> Stages)> runs)
    {
        var stages = runs.SelectMany(r => r.Stages.Select(s => s.Name)).Distinct().ToList();
        var data = stages.Select(stage => (ITrace)new Bar
        {
            Name = stage + (GpuAccelerates(stage) ? " (GPU speeds this up)" : " (CPU work)"),
            Orientation = Plotly.Blazor.Traces.BarLib.OrientationEnum.H,
            Y = runs.Select(r => (object)r.Label).ToList(),
            X = runs.Select(r => (object)Math.Round(r.Stages.FirstOrDefault(s => s.Name == stage)?.Seconds ?? 0, 3)).ToList(),
        }).ToList();
        var layout = BaseLayout("Where the time went (seconds of work per stage)", "seconds", "");
        layout.BarMode = BarModeEnum.Stack;
        layout.Height = 230 + 50 * runs.Count;
        layout.Margin = new Margin { L = 190, R = 20, T = 50, B = 50 };
        layout.Legend = [new Legend { Orientation = Plotly.Blazor.LayoutLib.LegendLib.OrientationEnum.H, Y = -0.5m }];
        return new("stages:" + string.Join(",", runs.Select(r => r.Label)), data, layout);
    }

    public static ChartModel ConfusionMatrix(RunResult result)
    {
        var z = result.ConfusionMatrix.Select(row => (object)row.Select(v => (object)v).ToList()).ToList();
        var layout = BaseLayout("Confusion matrix (rows: actual, columns: predicted)", "predicted", "actual");
        layout.Height = 260 + 22 * result.Classes.Count;
        layout.YAxis[0].AutoRange = Plotly.Blazor.LayoutLib.YAxisLib.AutoRangeEnum.Reversed;
        return new("confusion", [new HeatMap
        {
            Z = z, X = result.Classes.Cast<object>().ToList(), Y = result.Classes.Cast<object>().ToList(),
            // Plotly's "Blues" runs dark to light; reversed, the diagonal of a good model is dark.
            ColorScale = "Blues", ReverseScale = true, TextTemplate = "%{z}",
        }], layout);
    }

    private static Scatter Series(string name, IEnumerable<double> x, IEnumerable<double> y, bool dash = false) => new()
    {
        Name = name,
        Mode = ModeFlag.Lines | ModeFlag.Markers,
        X = x.Cast<object>().ToList(),
        Y = y.Select(v => (object)Math.Round(v, 4)).ToList(),
        Line = dash ? new Line { Dash = "dot" } : null,
    };

    /// <summary>Changes whenever the points do (a downsampled series can keep its count).</summary>
    private static string Version(IReadOnlyList<ChartPoint> points) => points.Count == 0 ? "0" : $"{points.Count}@{points[^1].Seconds:0.###}";

    private static ChartModel Line(string key, string title, string xTitle, string yTitle, IList<ITrace> traces, string version) =>
        new($"{key}:{version}", traces, BaseLayout(title, xTitle, yTitle));

    private static Layout BaseLayout(string title, string xTitle, string yTitle) => new()
    {
        Title = new Title { Text = title },
        XAxis = [new XAxis { Title = new Plotly.Blazor.LayoutLib.XAxisLib.Title { Text = xTitle } }],
        YAxis = [new YAxis { Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = yTitle } }],
        Height = 300,
        Margin = new Margin { L = 60, R = 20, T = 50, B = 50 },
    };
}
