using LearnDL.Training.Compute;
using LearnDL.Training.Training;

namespace LearnDL.Web.Features.Runs;

/// <summary>The launcher's form: what a learner asks to run. <see cref="RunQueue.Check"/> validates it.</summary>
public sealed class RunRequest
{
    public string Dataset { get; set; } = "builtin";

    public int Images { get; set; } = 100;

    public int Epochs { get; set; } = 3;

    public DeviceRequest Device { get; set; } = DeviceRequest.Cpu;

    public int Seed { get; set; } = 1;

    public RunOptions ToOptions() => new() { Dataset = Dataset, Images = Images, Epochs = Epochs, Device = Device, Seed = Seed };
}

/// <summary>A run was not queued; the messages say why, in the learner's words.</summary>
public sealed class RunRejectedException(IReadOnlyList<string> problems) : Exception(string.Join(" ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
