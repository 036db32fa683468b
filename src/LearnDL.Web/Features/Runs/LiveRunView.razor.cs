using LearnDL.Web.Data;
using LearnDL.Web.Live;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace LearnDL.Web.Features.Runs;

/// <summary>
/// A run's live state: progress, charts, and the results once it is done. While its tab is hidden it
/// draws nothing but a change of state (a finish, say), and catches up when the tab is shown again.
/// </summary>
public partial class LiveRunView : IAsyncDisposable
{
    [Inject] public required LiveUpdates Updates { get; set; }
    [Inject] public required RunLifecycle Runs { get; set; }
    [Inject] public required RunStore Store { get; set; }
    [Inject] public required TimeProvider Time { get; set; }
    [Inject] public required IJSRuntime JS { get; set; }

    [Parameter, EditorRequired] public Guid RunId { get; set; }
    /// <summary>Progress and throughput only, for embedding in a lesson.</summary>
    [Parameter] public bool Compact { get; set; }
    /// <summary>The run as the parent already read it (a run's page), so the first draw needs no read of its own; null: read here.</summary>
    [Parameter] public RunView? View { get; set; }
    /// <summary>Called when the run's state changes (e.g. it finishes) or its machine is named, for parents that show more of it.</summary>
    [Parameter] public EventCallback<RunView> OnChanged { get; set; }

    /// <summary>
    /// Once a second is live enough for a progress bar and a chart. Every update is work for the
    /// browser, which on a learner's laptop shares the cores with the run it shows.
    /// </summary>
    public static readonly TimeSpan LiveInterval = TimeSpan.FromSeconds(1);

    private RunView? _view;
    private LiveCharts _charts = null!;
    private IDisposable? _subscription;
    private Guid? _watching;
    private bool _hidden, _behind;
    private DotNetObjectReference<LiveRunView>? _self;
    private IJSObjectReference? _visibility;

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
        _subscription = Updates.Watch(RunId, () => InvokeAsync(OnRunChangedAsync), LiveInterval);
        // Subscribe first, then read: whatever happened in between is not missed.
        await RefreshAsync();
        StateHasChanged();
        await ObserveVisibilityAsync();
    }

    private async Task OnRunChangedAsync()
    {
        // Hidden: progress is not drawn (nobody sees it), a change of state still is (parents act on a finish).
        if (_hidden && Runs.Snapshot(RunId, withSeries: false)?.Status == _view?.Status)
        {
            _behind = true;
            return;
        }
        _behind = false;
        await RefreshAsync();
        StateHasChanged();
    }

    /// <summary>Called by wwwroot/js/page-visibility.js when the tab is hidden or shown.</summary>
    [JSInvokable]
    public Task OnVisibilityChanged(bool visible) => InvokeAsync(async () =>
    {
        _hidden = !visible;
        if (_hidden || !_behind) return;
        _behind = false;
        await RefreshAsync();
        StateHasChanged();
    });

    private async Task ObserveVisibilityAsync()
    {
        if (_visibility is not null) return;
        try
        {
            _self ??= DotNetObjectReference.Create(this);
            await using var module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/page-visibility.js");
            _visibility = await module.InvokeAsync<IJSObjectReference>("observe", _self);
        }
        catch (JSDisconnectedException) { } // the tab closed meanwhile
        catch (JSException) { } // a browser without modules: the page stays live, as it was
    }

    private async Task RefreshAsync()
    {
        var live = Runs.Snapshot(RunId);
        var (previous, previousWorker) = (_view?.Status, _view?.Snapshot.Worker);
        // The database is read on the first load (unless the parent read it) and on a change of state, not on every progress tick.
        if (_view is null && View is { } read && read.Record.Id == RunId && (live is null || live.Status == read.Status))
            _view = RunView.From(read.Record, live);
        else if (_view is null || live is null || live.Status != previous)
        {
            var record = await Store.GetAsync(RunId);
            if (record is null) return;
            _view = RunView.From(record, live);
        }
        else _view = RunView.From(_view.Record, live);

        _charts.Update(_view.Snapshot);
        if (_view.Status != previous || _view.Snapshot.Worker != previousWorker) await OnChanged.InvokeAsync(_view);
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

    public async ValueTask DisposeAsync()
    {
        Unwatch();
        try
        {
            if (_visibility is not null)
            {
                await _visibility.InvokeVoidAsync("stop");
                await _visibility.DisposeAsync();
            }
        }
        // The tab is gone, and its listener with it; or the circuit is being torn down (the tab closed, the
        // server let it go), which cancels the calls still pending: either way nothing is left to stop.
        catch (Exception e) when (e is JSDisconnectedException or OperationCanceledException) { }
        _self?.Dispose();
    }
}
