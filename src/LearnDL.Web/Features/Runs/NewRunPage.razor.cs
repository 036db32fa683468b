using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Components;

namespace LearnDL.Web.Features.Runs;

/// <summary>The launcher: a form that queues a run and opens its page.</summary>
public partial class NewRunPage
{
    [Inject] public required IRunQueue Queue { get; set; }
    [Inject] public required DatasetDirectory Datasets { get; set; }
    [Inject] public required UploadedDatasets Uploads { get; set; }
    [Inject] public required IRunExecutor Executor { get; set; }
    [Inject] public required CurrentOwner Owner { get; set; }
    [Inject] public required NavigationManager Navigation { get; set; }

    [SupplyParameterFromQuery(Name = "dataset")] public string? PresetDataset { get; set; }
    [SupplyParameterFromQuery(Name = "images")] public int? PresetImages { get; set; }
    [SupplyParameterFromQuery(Name = "epochs")] public int? PresetEpochs { get; set; }
    [SupplyParameterFromQuery(Name = "device")] public string? PresetDevice { get; set; }
    [SupplyParameterFromQuery(Name = "seed")] public int? PresetSeed { get; set; }

    internal RunRequest Request { get; } = new();
    internal IReadOnlyList<DatasetInfo> DatasetList { get; private set; } = [];
    internal IReadOnlyList<string> Problems { get; private set; } = [];
    internal string? GpuProblem { get; private set; }
    internal bool Launching { get; private set; }
    internal RunLimits Limits => Queue.Limits;

    protected override async Task OnInitializedAsync()
    {
        var me = await Owner.GetAsync();
        DatasetList = [.. Datasets.List(), .. (await Uploads.VisibleToAsync(me)).Select(Uploads.ListInfo)];
        if (PresetDataset is { } d) Request.Dataset = d;
        if (PresetImages is { } i) Request.Images = i;
        if (PresetEpochs is { } e) Request.Epochs = e;
        if (DeviceNames.TryParse(PresetDevice, out var device)) Request.Device = device;
        if (PresetSeed is { } seed) Request.Seed = seed;
        GpuProblem = await WhyNotGpuAsync();
    }

    /// <summary>Why a GPU run cannot be asked for here (this server's GPU does not work), or null; with worker machines a GPU run may always wait for a GPU worker.</summary>
    private async Task<string?> WhyNotGpuAsync()
    {
        try { await Executor.ChooseDeviceAsync(DeviceRequest.Gpu); return null; }
        catch (DeviceUnavailableException e) { return e.Message; }
    }

    internal void OnDatasetChanged(string name)
    {
        Request.Dataset = name;
        Problems = [];
    }

    internal async Task LaunchAsync()
    {
        Launching = true;
        try
        {
            var admission = await Queue.SubmitAsync(Request, await Owner.GetAsync());
            Navigation.NavigateTo($"/runs/{admission.RunId}");
        }
        catch (RunRejectedException e)
        {
            Problems = e.Problems;
        }
        finally
        {
            Launching = false;
        }
    }
}
