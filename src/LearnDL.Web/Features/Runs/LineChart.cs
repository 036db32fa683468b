using System.Globalization;
using System.Text;
using LearnDL.Web.Features.Shared;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Runs;

/// <summary>One line of a chart; a point's <see cref="ChartPoint.Seconds"/> is its x (seconds, or the epoch).</summary>
public sealed record LineSeries(string Name, IReadOnlyList<ChartPoint> Points, bool Dashed = false);

/// <summary>
/// A line chart of a run: its series for the light live drawing (<see cref="SvgLineChart"/>), and the
/// same data as a Plotly <see cref="ChartModel"/> (with its summary and numbers) for the finished run.
/// </summary>
public sealed record LineChart(string Title, string XTitle, string YTitle, IReadOnlyList<LineSeries> Series, ChartModel Model)
{
    public string Key => Model.Key;
    public int PointCount => Series.Sum(s => s.Points.Count);
}

/// <summary>
/// Where a <see cref="LineChart"/>'s lines, ticks and labels go in an SVG of fixed size: computed
/// here, once per new chart, so the browser only lays out a few elements.
/// </summary>
public sealed class SvgPlot
{
    /// <summary>The drawing's width: about the pixels of a half-width chart, or of a full-width one when wide (text keeps its size).</summary>
    public double Width { get; }
    public const double NarrowWidth = 600, WideWidth = 1200, Height = 300;
    public const double Left = 62, Right = 16, Top = 52, Bottom = 44;
    /// <summary>Plotly's first colours, so the live chart and the finished one look alike.</summary>
    public static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

    public sealed record Tick(double Position, string Label);
    public sealed record Line(string Name, string Color, bool Dashed, string Points, IReadOnlyList<(double X, double Y)> Markers);

    public IReadOnlyList<Tick> XTicks { get; }
    public IReadOnlyList<Tick> YTicks { get; }
    public IReadOnlyList<Line> Lines { get; }

    public double PlotRight => Width - Right;
    public double PlotBottom => Height - Bottom;

    /// <summary>Series of at most this many points show every point; longer ones only their last.</summary>
    public const int MarkAllUpTo = 30;

    public SvgPlot(LineChart chart, bool wide = false)
    {
        Width = wide ? WideWidth : NarrowWidth;
        var all = chart.Series.SelectMany(s => s.Points).ToList();
        var (xMin, xMax) = all.Count == 0 ? (0, 1) : (all.Min(p => p.Seconds), all.Max(p => p.Seconds));
        if (xMax - xMin < 1e-9) (xMin, xMax) = (xMin - 0.5, xMax + 0.5);
        var yLow = all.Count == 0 ? 0 : Math.Min(0, all.Min(p => p.Value));
        var yHigh = all.Count == 0 ? 1 : Math.Max(all.Max(p => p.Value), yLow + 1e-9);
        var yStep = NiceStep((yHigh - yLow) / 4);
        var (yMin, yMax) = (Math.Floor(yLow / yStep) * yStep, Math.Ceiling(yHigh / yStep) * yStep);
        if (yMax - yMin < 1e-9) yMax = yMin + yStep;
        var xStep = NiceStep((xMax - xMin) / (wide ? 10 : 5));
        if (all.Count > 0 && all.All(p => p.Seconds == Math.Round(p.Seconds))) xStep = Math.Max(xStep, 1); // epochs: no half epochs

        double X(double x) => Left + (x - xMin) / (xMax - xMin) * (PlotRight - Left);
        double Y(double y) => PlotBottom - (y - yMin) / (yMax - yMin) * (PlotBottom - Top);

        XTicks = [.. Steps(Math.Ceiling(xMin / xStep) * xStep, xMax, xStep).Select(x => new Tick(Round(X(x)), Label(x, xStep)))];
        YTicks = [.. Steps(yMin, yMax, yStep).Select(y => new Tick(Round(Y(y)), Label(y, yStep)))];
        Lines = [.. chart.Series.Select((s, i) =>
        {
            var points = s.Points.Select(p => (X: Round(X(p.Seconds)), Y: Round(Y(p.Value)))).ToList();
            var text = new StringBuilder();
            foreach (var (x, y) in points) text.Append(CultureInfo.InvariantCulture, $"{x},{y} ");
            return new Line(s.Name, Colors[i % Colors.Length], s.Dashed, text.ToString().TrimEnd(),
                points.Count <= MarkAllUpTo ? points : points.Count > 0 ? [points[^1]] : []);
        })];
    }

    /// <summary>1, 2 or 5 times a power of ten, the nearest at or above <paramref name="rough"/>.</summary>
    public static double NiceStep(double rough)
    {
        if (rough <= 0 || !double.IsFinite(rough)) return 1;
        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var fraction = rough / power;
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
    }

    private static IEnumerable<double> Steps(double from, double to, double step)
    {
        for (int i = 0; from + i * step <= to + step * 1e-6 && i < 50; i++) yield return from + i * step;
    }

    private static double Round(double v) => Math.Round(v, 1);

    private static string Label(double value, double step)
    {
        var decimals = step >= 1 ? 0 : (int)Math.Ceiling(-Math.Log10(step) - 1e-9);
        return Math.Round(value, decimals).ToString("N" + decimals, CultureInfo.CurrentCulture);
    }

    public static string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
