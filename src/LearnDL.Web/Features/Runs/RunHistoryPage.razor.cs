using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace LearnDL.Web.Features.Runs;

/// <summary>Past and current runs, a page at a time from the server, filtered by device and state.</summary>
public partial class RunHistoryPage
{
    [Inject] public required RunStore Store { get; set; }
    [Inject] public required Microsoft.Extensions.Options.IOptions<LearnDLOptions> Options { get; set; }
    [Inject] public required CurrentOwner Owner { get; set; }
    [Inject] public required NavigationManager Navigation { get; set; }

    private MudTable<RunSummary>? _table;
    private string _device = "", _status = "";
    private readonly HashSet<Guid> _selected = [];

    private async Task<TableData<RunSummary>> LoadAsync(TableState state, CancellationToken cancellationToken)
    {
        var filter = new RunFilter(_device, Enum.TryParse<RunStatus>(_status, out var s) ? s : null).For(await Owner.GetAsync(), Options.Value.Class.IsOn);
        var page = await Store.ListAsync(filter, state.Page, state.PageSize);
        return new TableData<RunSummary> { Items = page.Items, TotalItems = page.Total };
    }

    private async Task FilterAsync(string device, string status)
    {
        (_device, _status) = (device, status);
        if (_table is not null) await _table.ReloadServerData();
    }

    private void Toggle(Guid id, bool on)
    {
        if (on) _selected.Add(id); else _selected.Remove(id);
    }

    private void Compare() => Navigation.NavigateTo("/compare?ids=" + string.Join(",", _selected));
}
