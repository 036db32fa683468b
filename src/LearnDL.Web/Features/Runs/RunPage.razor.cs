using LearnDL.Training.Runs;
using LearnDL.Training.Compute;
using LearnDL.Training.Precision;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace LearnDL.Web.Features.Runs;

/// <summary>One run: live while it goes, its results once done; cancel it, or run it on the other device.</summary>
public partial class RunPage
{
    [Inject] public required RunViews Views { get; set; }
    [Inject] public required IAuthorizationService Authorization { get; set; }
    [Inject] public required IRunQueue Queue { get; set; }
    [Inject] public required CurrentOwner Owner { get; set; }
    [Inject] public required NavigationManager Navigation { get; set; }
    [Inject] public required ISnackbar Snackbar { get; set; }

    [Parameter] public Guid Id { get; set; }

    private RunView? _view;
    private RunAccess? _access;

    protected override async Task OnParametersSetAsync()
    {
        // One read: the run, whether this person is on it, its live state; the rules say what they may do.
        var seen = await Views.ForAsync(Id, await Owner.GetAsync());
        if (seen is null) { (_view, _access) = (null, null); Navigation.NotFound(); return; }
        (_view, _access) = (seen.View, seen.Access);
    }

    /// <summary>What the button does for this person: stop the run, or only take them off a run others are on too.</summary>
    private string CancelLabel => _access is { Stop: false } && _view?.Snapshot.Members > 1 ? "Leave this run" : "Cancel";

    private async Task CancelAsync()
    {
        var outcome = await Queue.CancelAsync(Authorization, await Owner.GetAsync(), Id);
        Snackbar.Add(outcome switch
        {
            CancelOutcome.Cancelled => "Cancelling: the run stops after its current batch.",
            CancelOutcome.Left => "You left this shared run; it goes on for the others who joined it.",
            CancelOutcome.NotAMember => "Only the people on this run (and the instructor) can stop it.",
            _ => "This run is no longer in progress.",
        }, outcome is CancelOutcome.Cancelled or CancelOutcome.Left ? Severity.Info : Severity.Normal);
        if (outcome == CancelOutcome.Left) _access = _access! with { Leave = false };
    }

    private Task RunOnOtherDeviceAsync() =>
        SubmitAsync(asked => asked with { Device = _view!.OtherDevice == "gpu" ? DeviceRequest.Gpu : DeviceRequest.Cpu, Shared = false });

    /// <summary>The same run at INT8 (on the CPU, where INT8 runs) or back at FP32 on the CPU: the two compare like for like.</summary>
    private Task RunAtOtherPrecisionAsync() =>
        SubmitAsync(asked => asked with
        {
            Precision = asked.Precision == NetworkPrecision.Int8 ? NetworkPrecision.Fp32 : NetworkPrecision.Int8, Device = DeviceRequest.Cpu, Shared = false,
        });

    private async Task SubmitAsync(Func<RunSettings, RunSettings> change)
    {
        if (_view?.Record.Settings is not { } asked) return;
        try
        {
            var admission = await Queue.SubmitAsync(change(asked), await Owner.GetAsync());
            Navigation.NavigateTo($"/runs/{admission.RunId}");
        }
        catch (RunRejectedException e)
        {
            Snackbar.Add(e.Message, Severity.Warning);
        }
    }
}
