using LearnDL.Web.Identity;
using LearnDL.Web.Live;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Components;

namespace LearnDL.Web.Features.Runs;

/// <summary>
/// Where a run runs or ran, and "Run it again" (<see cref="RunAgain"/>) for an interrupted or failed run
/// the viewer is on. A run's page passes its view and what the viewer may do, read once with the run; its live
/// view names the machine when the run starts. Placed alone (no <see cref="Access"/>), this asks the rules and
/// watches the run until its machine is named.
/// </summary>
public partial class RunPlace : IDisposable
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    [Inject] public required LiveUpdates Updates { get; set; }
    [Inject] public required RunLifecycle Runs { get; set; }
    [Inject] public required RunAgain Again { get; set; }
    [Inject] public required CurrentOwner Owner { get; set; }
    [Inject] public required NavigationManager Navigation { get; set; }

    [Parameter, EditorRequired] public Guid RunId { get; set; }
    /// <summary>The run as the page last saw it; null until the page has it.</summary>
    [Parameter] public RunView? View { get; set; }
    /// <summary>What the viewer may do to the run, as the page read it with the run; null: the rules are asked here.</summary>
    [Parameter] public RunAccess? Access { get; set; }

    private Guid? _checked, _watching;
    private bool _onIt, _submitting;
    private string? _liveWorker;
    private IDisposable? _watch;
    private IReadOnlyList<string> _problems = [];

    /// <summary>The page's view when it is of this run (after a move to another run, the old one's until the new one loads).</summary>
    private RunView? Current => View is { } v && v.Record.Id == RunId ? v : null;

    private string? WorkerText => Current is { } v ? (v with { Snapshot = v.Snapshot with { Worker = v.Snapshot.Worker ?? _liveWorker } }).WorkerText : null;

    private bool CanRunAgain => _onIt && Current is { } v && RunAgain.Offers(v.Status);

    protected override async Task OnParametersSetAsync()
    {
        if (_checked == RunId) return;
        _checked = RunId;
        Unwatch();
        _watching = null;
        (_liveWorker, _problems) = (null, []);
        // Those on the run (or who may stop any run) may start it again for themselves; a class demo's watchers may not.
        var run = new RunRef(RunId);
        _onIt = Access?.OnIt ?? (await Owner.MayAsync(run, Identity.Access.Stop) || await Owner.MayAsync(run, Identity.Access.Leave));
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (Access is not null || Current is not { IsActive: true } || WorkerText is not null || _watching == RunId) return;
        _watching = RunId;
        _watch = Updates.Watch(RunId, () => InvokeAsync(OnRunChanged), WatchInterval);
        // Subscribe first, then read: a machine named in between is not missed.
        OnRunChanged();
    }

    private void OnRunChanged()
    {
        if (Runs.Snapshot(RunId, withSeries: false) is not { } live || (live.Worker is null && !live.IsFinished)) return;
        _liveWorker = live.Worker;
        Unwatch();
        StateHasChanged();
    }

    private async Task RunAgainAsync()
    {
        if (Current is not { } v) return;
        (_submitting, _problems) = (true, []);
        try
        {
            var admission = await Again.SubmitAsync(v.Record, await Owner.GetAsync());
            Navigation.NavigateTo($"/runs/{admission.RunId}");
        }
        catch (RunRejectedException e)
        {
            _problems = e.Problems;
        }
        finally
        {
            _submitting = false;
        }
    }

    private void Unwatch()
    {
        _watch?.Dispose();
        _watch = null;
    }

    public void Dispose() => Unwatch();
}
