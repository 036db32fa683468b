using LearnDL.Web.Data;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace LearnDL.Web.Features.Runs;

/// <summary>A run's live state: progress, charts, and the results once it is done.</summary>
public partial class LiveRunView : IDisposable
{
    [Inject] public required RunHub Hub { get; set; }
    [Inject] public required RunStore Store { get; set; }
    [Inject] public required TimeProvider Time { get; set; }

    [Parameter, EditorRequired] public Guid RunId { get; set; }
    /// <summary>Progress and throughput only, for embedding in a lesson.</summary>
    [Parameter] public bool Compact { get; set; }
    /// <summary>Called when the run's state changes (e.g. it finishes), for parents that show more of it.</summary>
    [Parameter] public EventCallback<RunView> OnChanged { get; set; }

    /// <summary>Twice a second is live enough for a progress bar, and half the work of the hub's fastest pace.</summary>
    public static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(500);

    private RunView? _view;
    private LiveCharts _charts = null!;
    private IDisposable? _subscription;
    private Guid? _watching;

    protected override void OnInitialized() => _charts = new LiveCharts(Time);

    protected override async Task OnParametersSetAsync()
    {
        if (_view is not null && _view.Record.Id != RunId)
        {
            Unwatch();
            _view = null;
            _charts = new LiveCharts(Time);
        }
        await RefreshAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // Watch once the circuit is live, and only a run that can still change: a finished run
        // opened from history subscribes to nothing.
        if (_view is not { IsActive: true } || _watching == RunId) return;
        _watching = RunId;
        _subscription = Hub.Watch(RunId, () => InvokeAsync(async () =>
        {
            await RefreshAsync();
            StateHasChanged();
        }), LiveInterval);
        // Subscribe first, then read: whatever happened in between is not missed.
        await RefreshAsync();
        StateHasChanged();
    }

    private async Task RefreshAsync()
    {
        var live = Hub.Snapshot(RunId);
        var previous = _view?.Status;
        // The database is read on the first load and on a change of state, not on every progress tick.
        if (_view is null || live is null || live.Status != previous)
        {
            var record = await Store.GetAsync(RunId);
            if (record is null) return;
            _view = RunView.From(record, live);
        }
        else _view = RunView.From(_view.Record, live);

        _charts.Update(_view.Snapshot);
        if (_view.Status != previous) await OnChanged.InvokeAsync(_view);
        if (!_view.IsActive) Unwatch();
    }

    private void Unwatch()
    {
        _subscription?.Dispose();
        _subscription = null;
    }

    internal static Color StatusColor(RunStatus status) => status switch
    {
        RunStatus.Completed => Color.Success,
        RunStatus.Running => Color.Primary,
        RunStatus.Queued => Color.Default,
        RunStatus.Cancelled => Color.Warning,
        _ => Color.Error,
    };

    public void Dispose() => Unwatch();
}
