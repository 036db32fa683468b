using LearnDL.Training.Runs;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Replay;

public sealed record ReplayPlan(string Dataset, bool UsesFashionMnist, string DatasetNote, bool GpuUsable, string GpuNote);

/// <summary>The article's experiment: 2000 images, one epoch, on the CPU and then, where it works, the GPU.</summary>
public sealed class ReplayPlanner(DatasetDirectory datasets, IRunExecutor executor, IRunQueue queue)
{
    public const int Images = 2000;
    public const int Epochs = 1;

    public async Task<ReplayPlan> PlanAsync()
    {
        var fashion = datasets.List().FirstOrDefault(d => d.Name == FashionMnistDataset.Name);
        var useFashion = fashion is { Available: true };
        var datasetNote = useFashion
            ? "Dataset: Fashion-MNIST (real 28x28 photos of clothing, 10 classes), a stratified 2000-image subset."
            : $"Fashion-MNIST is not installed on this server, so the replay uses the built-in aerial tiles instead. {FashionMnistDataset.InstallHint}";
        var whyNotGpu = (await executor.WhyNotGpuAsync()).Why;
        var gpuNote = whyNotGpu is null
            ? "The GPU works here: the replay runs on the CPU and on the GPU, each in its own device's queue."
            : $"The replay runs on the CPU only. {whyNotGpu}";
        return new(useFashion ? FashionMnistDataset.Name : BuiltinDataset.Name, useFashion, datasetNote, whyNotGpu is null, gpuNote);
    }

    /// <summary>Queues the replay; shared, so a class replaying together watches one pair of runs.</summary>
    public async Task<(Guid Cpu, Guid? Gpu)> StartAsync(ReplayPlan plan, RunOwner owner)
    {
        var group = "replay-" + Guid.NewGuid().ToString("N")[..8];
        RunSettings On(DeviceRequest device) => new() { Dataset = plan.Dataset, Images = Images, Epochs = Epochs, Device = device, Shared = true };
        var cpu = await queue.SubmitAsync(On(DeviceRequest.Cpu), owner, group);
        Guid? gpu = plan.GpuUsable ? (await queue.SubmitAsync(On(DeviceRequest.Gpu), owner, group)).RunId : null;
        return (cpu.RunId, gpu);
    }
}
