using Microsoft.AspNetCore.Components;
using MudBlazor;
using LearnDL.Web.Data;

namespace LearnDL.Web.Features.Runs;

/// <summary>A run's live state: progress, charts, and the results once it is done.</summary>
public partial class LiveRunView
{
    [Inject] public required RunHub Hub { get; set; }
    [Inject] public required RunStore Store { get; set; }

    [Parameter, EditorRequired] public Guid RunId { get; set; }
    /// <summary>Progress and throughput only, for embedding in a lesson.</summary>
    [Parameter] public bool Compact { get; set; }
    /// <summary>Called when the run's record changes (e.g. it finishes), for parents that show more of it.</summary>
    [Parameter] public EventCallback<RunView> OnChanged { get; set; }

    private RunView? _view;
    private IDisposable? _subscription;
    private Guid _subscribedTo;

    protected override async Task OnParametersSetAsync() => await RefreshAsync();

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_subscribedTo == RunId) return;
        // Subscribe first, then refresh, so nothing that happens in between is missed.
        _subscription?.Dispose();
        _subscribedTo = RunId;
        _subscription = Hub.Subscribe(RunId, () => InvokeAsync(async () =>
        {
            await RefreshAsync();
            StateHasChanged();
        }));
        await RefreshAsync();
        StateHasChanged();
    }

    private async Task RefreshAsync()
    {
        var live = Hub.Snapshot(RunId);
        // Only go to the database when the record can have changed: first load, or a change of state.
        if (_view is null || _view.Record.Id != RunId || live is null || live.Status != _view.Record.Status)
        {
            var record = await Store.GetAsync(RunId);
            if (record is null) return;
            var previous = _view?.Record.Status;
            _view = RunView.From(record, live);
            if (previous != record.Status) await OnChanged.InvokeAsync(_view);
        }
        else _view = RunView.From(_view.Record, live);
    }

    internal static Color StatusColor(RunStatus status) => status switch
    {
        RunStatus.Completed => Color.Success,
        RunStatus.Running => Color.Primary,
        RunStatus.Queued => Color.Default,
        RunStatus.Cancelled => Color.Warning,
        _ => Color.Error,
    };

    public void Dispose() => _subscription?.Dispose();
}
