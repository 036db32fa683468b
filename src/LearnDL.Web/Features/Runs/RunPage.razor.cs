using LearnDL.Training.Compute;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace LearnDL.Web.Features.Runs;

/// <summary>One run: live while it goes, its results once done; cancel it, or run it on the other device.</summary>
public partial class RunPage
{
    [Inject] public required RunStore Store { get; set; }
    [Inject] public required RunAccess Access { get; set; }
    [Inject] public required IRunQueue Queue { get; set; }
    [Inject] public required CurrentOwner Owner { get; set; }
    [Inject] public required NavigationManager Navigation { get; set; }
    [Inject] public required ISnackbar Snackbar { get; set; }

    [Parameter] public Guid Id { get; set; }

    private RunSummary? _run;
    private RunView? _view;

    protected override async Task OnParametersSetAsync()
    {
        var owner = await Owner.GetAsync();
        _run = await Access.CanSeeAsync(owner, Id) ? await Store.GetSummaryAsync(Id) : null;
        if (_run is null) Navigation.NotFound();
    }

    private async Task CancelAsync()
    {
        var owner = await Owner.GetAsync();
        var outcome = await Access.CanCancelAsync(owner, Id) ? await Queue.CancelAsync(Id, Access.CancelledBy(owner)) : CancelOutcome.NotInProgress;
        Snackbar.Add(outcome switch
        {
            CancelOutcome.Cancelled => "Cancelling: the run stops after its current batch.",
            CancelOutcome.Left => "You left this shared run; it goes on for the others who joined it.",
            _ => "This run is no longer in progress.",
        }, outcome == CancelOutcome.NotInProgress ? Severity.Normal : Severity.Info);
    }

    private async Task RunOnOtherDeviceAsync()
    {
        var request = new RunRequest
        {
            Dataset = _run!.Dataset, Images = _run.Images, Epochs = _run.Epochs, Seed = _run.Seed,
            Device = (_view?.OtherDevice ?? "gpu") == "gpu" ? DeviceRequest.Gpu : DeviceRequest.Cpu,
        };
        try
        {
            var admission = await Queue.SubmitAsync(request, await Owner.GetAsync());
            Navigation.NavigateTo($"/runs/{admission.RunId}");
        }
        catch (RunRejectedException e)
        {
            Snackbar.Add(e.Message, Severity.Warning);
        }
    }
}
