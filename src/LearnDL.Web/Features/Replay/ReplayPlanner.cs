using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Web.Features.Runs;

namespace LearnDL.Web.Features.Replay;

public sealed record ReplayPlan(string Dataset, bool UsesFashionMnist, string DatasetNote, bool GpuUsable, string GpuNote);

/// <summary>The article's experiment: 2000 images, one epoch, on the CPU and then, where it works, the GPU.</summary>
public sealed class ReplayPlanner(DatasetCatalog catalog, DeviceProbe probe, RunQueue queue)
{
    public const int Images = 2000;
    public const int Epochs = 1;

    public ReplayPlan Plan()
    {
        var fashion = catalog.List().FirstOrDefault(d => d.Name == FashionMnistDataset.Name);
        var useFashion = fashion is { Available: true };
        var datasetNote = useFashion
            ? "Dataset: Fashion-MNIST (real 28x28 photos of clothing, 10 classes), a stratified 2000-image subset."
            : $"Fashion-MNIST is not installed on this server, so the replay uses the built-in aerial tiles instead. {FashionMnistDataset.InstallHint}";
        string gpuNote;
        bool gpuUsable;
        try
        {
            gpuUsable = probe.Choose(DeviceRequest.Gpu).Device == ComputeDevice.Gpu;
            gpuNote = "The GPU works here: the replay runs on the CPU first, then on the GPU (one run at a time per device).";
        }
        catch (DeviceUnavailableException e)
        {
            gpuUsable = false;
            gpuNote = $"The replay runs on the CPU only. {e.Message}";
        }
        return new(useFashion ? FashionMnistDataset.Name : BuiltinDataset.Name, useFashion, datasetNote, gpuUsable, gpuNote);
    }

    public async Task<(Guid Cpu, Guid? Gpu)> StartAsync(ReplayPlan plan)
    {
        var group = "replay-" + Guid.NewGuid().ToString("N")[..8];
        var cpu = await queue.EnqueueAsync(new RunRequest { Dataset = plan.Dataset, Images = Images, Epochs = Epochs, Device = DeviceRequest.Cpu }, group);
        Guid? gpu = plan.GpuUsable
            ? await queue.EnqueueAsync(new RunRequest { Dataset = plan.Dataset, Images = Images, Epochs = Epochs, Device = DeviceRequest.Gpu }, group)
            : null;
        return (cpu, gpu);
    }
}
