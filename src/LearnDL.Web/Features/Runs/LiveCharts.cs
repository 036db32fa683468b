using LearnDL.Web.Data;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Runs;

/// <summary>
/// The charts of one run page. While a run streams they are rebuilt at most once a second (at once
/// when the stage, an epoch or the state changes): every redraw costs the browser, which on a
/// laptop shares the cores with the run it is showing. The page draws them as light SVG while the
/// run goes and with Plotly once it has finished.
/// </summary>
public sealed class LiveCharts(TimeProvider time)
{
    public static readonly TimeSpan RedrawInterval = TimeSpan.FromSeconds(1);

    private long _builtAt;
    private (RunStatus, Training.Runs.RunStage?, int) _shape;

    public LineChart? Throughput { get; private set; }
    public LineChart? ImagesDone { get; private set; }
    public LineChart? Epochs { get; private set; }

    public void Update(RunSnapshot s)
    {
        var shape = (s.Status, s.Stage, s.Epochs.Count);
        if (Throughput is not null && shape == _shape && time.GetElapsedTime(_builtAt) < RedrawInterval) return;
        (_shape, _builtAt) = (shape, time.GetTimestamp());
        Throughput = RunCharts.Throughput(s);
        ImagesDone = RunCharts.ImagesDone(s);
        Epochs = RunCharts.Epochs(s.Epochs);
    }
}
