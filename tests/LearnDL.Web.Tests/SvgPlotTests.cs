using LearnDL.Training.Runs;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Tests;

/// <summary>The live chart's geometry: lines inside the plot, readable ticks, markers where they help.</summary>
public class SvgPlotTests
{
    private static LineChart Chart(params LineSeries[] series) =>
        RunCharts.Throughput(new RunSnapshot { Id = Guid.NewGuid(), Status = Data.RunStatus.Running }) with { Series = series };

    [Theory]
    [InlineData(0.7, 1)]
    [InlineData(13, 20)]
    [InlineData(24, 50)]
    [InlineData(0.031, 0.05)]
    [InlineData(100, 100)]
    public void NiceStep_RoundsUpToOneTwoOrFiveTimesAPowerOfTen(double rough, double step) =>
        Assert.Equal(step, SvgPlot.NiceStep(rough), 9);

    [Fact]
    public void SvgPlot_Throughput_FitsEveryPointInThePlotAndStartsTheYAxisAtZero()
    {
        var plot = new SvgPlot(Chart(new LineSeries("images/s", [new(1, 40), new(2, 55.5), new(3, 61), new(4, 58)])));

        var points = plot.Lines.Single().Points.Split(' ').Select(p => p.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();
        Assert.Equal(4, points.Count);
        Assert.All(points, p => Assert.InRange(p[0], SvgPlot.Left, plot.PlotRight));
        Assert.All(points, p => Assert.InRange(p[1], SvgPlot.Top, plot.PlotBottom));
        Assert.Equal(SvgPlot.Left, points[0][0]);
        Assert.Equal(plot.PlotRight, points[^1][0]);
        Assert.Equal("0", plot.YTicks[0].Label);
        Assert.Equal(plot.PlotBottom, plot.YTicks[0].Position);
        Assert.True(double.Parse(plot.YTicks[^1].Label) >= 61);
        Assert.Equal(4, plot.Lines.Single().Markers.Count); // few points: each one marked
    }

    [Fact]
    public void SvgPlot_LongSeries_MarksOnlyItsLastPoint_AndAnEmptyChartDrawsNoLine()
    {
        var many = Enumerable.Range(1, 100).Select(i => new ChartPoint(i, i % 7)).ToList();
        var plot = new SvgPlot(Chart(new LineSeries("images/s", many)));
        Assert.Single(plot.Lines.Single().Markers);

        var empty = new SvgPlot(Chart(new LineSeries("images/s", [])));
        Assert.Equal("", empty.Lines.Single().Points);
        Assert.Empty(empty.Lines.Single().Markers);
        Assert.NotEmpty(empty.YTicks);
    }

    [Fact]
    public void SvgPlot_Epochs_AreTickedInWholeEpochs()
    {
        var plot = new SvgPlot(Chart(new LineSeries("held-out accuracy", [new(1, 0.8), new(2, 0.84), new(3, 0.85)])), wide: true);
        Assert.Equal(["1", "2", "3"], plot.XTicks.Select(t => t.Label));
        Assert.Equal(SvgPlot.WideWidth, plot.Width);
    }

    [Fact]
    public void SvgPlot_OnePoint_IsDrawnInsideThePlot()
    {
        var plot = new SvgPlot(Chart(new LineSeries("held-out accuracy", [new(1, 0.85)])));
        var (x, y) = plot.Lines.Single().Markers.Single();
        Assert.InRange(x, SvgPlot.Left, plot.PlotRight);
        Assert.InRange(y, SvgPlot.Top, plot.PlotBottom);
    }
}

public class EpochSummaryTests
{
    private static EpochMetrics Epoch(int n, double test) => new(n, test + 0.02, 0.1, test, 0.2);

    [Fact]
    public void OneEpoch_IsSaidOnce_SeveralSayTheFirstAndTheLast()
    {
        Assert.Equal("Held-out accuracy after epoch 1: 96.3% (training accuracy 98.3%).",
            RunCharts.Epochs([Epoch(1, 0.963)]).Model.Summary.Replace(" %", "%"));
        Assert.Equal("Held-out accuracy after epoch 1: 80.0%; after epoch 3: 90.0% (training accuracy 92.0%).",
            RunCharts.Epochs([Epoch(1, 0.8), Epoch(2, 0.85), Epoch(3, 0.9)]).Model.Summary.Replace(" %", "%"));
    }
}
