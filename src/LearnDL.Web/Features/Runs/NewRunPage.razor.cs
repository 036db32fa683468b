using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Features.Runs;

/// <summary>The launcher: a form that queues a run and opens its page.</summary>
public partial class NewRunPage
{
    [Inject] public required RunQueue Queue { get; set; }
    [Inject] public required DatasetCatalog Catalog { get; set; }
    [Inject] public required DeviceProbe Probe { get; set; }
    [Inject] public required IOptions<LearnDLOptions> Options { get; set; }
    [Inject] public required NavigationManager Navigation { get; set; }

    [SupplyParameterFromQuery(Name = "dataset")] public string? PresetDataset { get; set; }
    [SupplyParameterFromQuery(Name = "images")] public int? PresetImages { get; set; }
    [SupplyParameterFromQuery(Name = "epochs")] public int? PresetEpochs { get; set; }
    [SupplyParameterFromQuery(Name = "device")] public string? PresetDevice { get; set; }

    internal RunRequest Request { get; } = new();
    internal IReadOnlyList<DatasetInfo> Datasets { get; private set; } = [];
    internal IReadOnlyList<string> Problems { get; private set; } = [];
    internal string? GpuProblem { get; private set; }
    internal bool Launching { get; private set; }
    internal int MaxImages => Options.Value.MaxImagesPerRun;

    protected override void OnInitialized()
    {
        Datasets = Catalog.List();
        try { Probe.Choose(DeviceRequest.Gpu); }
        catch (DeviceUnavailableException error) { GpuProblem = error.Message; }
        if (PresetDataset is { } d) Request.Dataset = d;
        if (PresetImages is { } i) Request.Images = i;
        if (PresetEpochs is { } e) Request.Epochs = e;
        if (DeviceNames.TryParse(PresetDevice, out var device)) Request.Device = device;
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
            var id = await Queue.EnqueueAsync(Request);
            Navigation.NavigateTo($"/runs/{id}");
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
