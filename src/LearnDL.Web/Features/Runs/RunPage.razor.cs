using LearnDL.Training.Training;
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
    [Inject] public required RunStore Store { get; set; }
    [Inject] public required IAuthorizationService Authorization { get; set; }
    [Inject] public required IRunQueue Queue { get; set; }
    [Inject] public required CurrentOwner Owner { get; set; }
    [Inject] public required NavigationManager Navigation { get; set; }
    [Inject] public required ISnackbar Snackbar { get; set; }

    [Parameter] public Guid Id { get; set; }

    private RunSummary? _run;
    private RunView? _view;
    private bool _mayStop, _onIt;

    protected override async Task OnParametersSetAsync()
    {
        var run = new RunRef(Id);
        _run = await Owner.MayAsync(run, Access.See) ? await Store.GetSummaryAsync(Id) : null;
        if (_run is null) { Navigation.NotFound(); return; }
        _mayStop = await Owner.MayAsync(run, Access.Stop);
        _onIt = _mayStop || await Owner.MayAsync(run, Access.Leave);
    }

    /// <summary>What the button does for this person: stop the run, or only take them off a run others are on too.</summary>
    private string CancelLabel => !_mayStop && _view?.Snapshot.Members > 1 ? "Leave this run" : "Cancel";

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
        if (outcome == CancelOutcome.Left) _onIt = false;
    }

    private Task RunOnOtherDeviceAsync() =>
        SubmitAsync(_run!.ToSettings() with { Device = (_view?.OtherDevice ?? "gpu") == "gpu" ? DeviceRequest.Gpu : DeviceRequest.Cpu, Shared = false });

    /// <summary>The same run at INT8 (on the CPU, where INT8 runs) or back at FP32 on the CPU: the two compare like for like.</summary>
    private Task RunAtOtherPrecisionAsync() =>
        SubmitAsync(_run!.ToSettings() with
        {
            Precision = _run.Precision == "int8" ? NetworkPrecision.Fp32 : NetworkPrecision.Int8, Device = DeviceRequest.Cpu, Shared = false,
        });

    private async Task SubmitAsync(RunSettings request)
    {
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
