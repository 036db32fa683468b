using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Components;

namespace LearnDL.Web.Features.Lessons;

/// <summary>
/// Queues a lesson's preset run and follows it. A preset whose dataset this server does not have
/// (Fashion-MNIST not installed, say) says so instead of failing when pressed. A preset with a
/// prediction measures the figure the reader guessed once the run has finished.
/// </summary>
public partial class TryIt
{
    [Inject] public required IRunQueue Queue { get; set; }
    [Inject] public required CurrentOwner Owner { get; set; }

    [Parameter, EditorRequired] public LessonPreset Preset { get; set; } = null!;
    [Parameter] public Lesson? Lesson { get; set; }

    private Guid? _runId;
    private string? _problem, _unavailable;
    private bool _starting;
    private double? _measured;

    private PredictionMetric? Metric => Preset.Predict is { } p ? PredictionMetrics.Find(p.Metric) : null;

    protected override async Task OnParametersSetAsync()
    {
        var problems = await Queue.CheckAsync(Preset.ToRequest());
        _unavailable = problems.Count == 0 ? null : $"This Try-it cannot run on this server: {string.Join(" ", problems)}";
    }

    private async Task StartAsync()
    {
        _starting = true;
        _problem = null;
        _measured = null;
        try { _runId = (await Queue.SubmitAsync(Preset.ToRequest(), await Owner.GetAsync())).RunId; }
        catch (RunRejectedException e) { _problem = e.Message; }
        finally { _starting = false; }
    }

    private Task ChangedAsync(RunView view)
    {
        if (view.Status == LearnDL.Web.Data.RunStatus.Completed && view.Result is { } result && Metric is { } metric)
            _measured = metric.Measure(result);
        return Task.CompletedTask;
    }
}
