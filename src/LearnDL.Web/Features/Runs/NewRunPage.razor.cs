using LearnDL.Training.Runs;
using LearnDL.Training.Compute;
using LearnDL.Training.Precision;
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
    [SupplyParameterFromQuery(Name = "precision")] public string? PresetPrecision { get; set; }

    internal RunSettings Request { get; set; } = new();
    internal IReadOnlyList<DatasetInfo> DatasetList { get; private set; } = [];
    internal IReadOnlyList<string> Problems { get; private set; } = [];
    internal string? GpuProblem { get; private set; }
    internal bool Launching { get; private set; }
    internal RunLimits Limits => Queue.Limits;

    protected override async Task OnInitializedAsync()
    {
        var me = await Owner.GetAsync();
        DatasetList = [.. Datasets.List(), .. (await Uploads.VisibleToAsync(me)).Select(Uploads.ListInfo)];
        Request = Request with
        {
            Dataset = PresetDataset ?? Request.Dataset, Images = PresetImages ?? Request.Images, Epochs = PresetEpochs ?? Request.Epochs,
            Device = DeviceNames.TryParse(PresetDevice, out var device) ? device : Request.Device, Seed = PresetSeed ?? Request.Seed,
        };
        if (NetworkPrecisions.TryParse(PresetPrecision, out var precision)) OnPrecisionChanged(precision);
        // With worker machines a GPU run may always wait for a GPU worker; here, the GPU must work.
        var gpu = await Executor.WhyNotGpuAsync();
        GpuProblem = gpu.MayAsk ? null : gpu.Why;
    }

    /// <summary>INT8 runs on the CPU only: choosing it chooses the CPU, and the other devices wait until FP32 is back.</summary>
    internal void OnPrecisionChanged(NetworkPrecision precision)
    {
        Request = Request with { Precision = precision, Device = precision == NetworkPrecision.Int8 ? DeviceRequest.Cpu : Request.Device };
        Problems = [];
    }

    internal void OnDatasetChanged(string name)
    {
        Request = Request with { Dataset = name };
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
