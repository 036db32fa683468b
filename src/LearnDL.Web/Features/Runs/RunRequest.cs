using System.ComponentModel.DataAnnotations;
using LearnDL.Training.Compute;
using LearnDL.Training.Training;

namespace LearnDL.Web.Features.Runs;

/// <summary>The launcher's form: what a learner asks to run.</summary>
public sealed class RunRequest
{
    [Required(ErrorMessage = "Choose a dataset.")]
    public string Dataset { get; set; } = "builtin";

    [Range(4, RunOptions.MaxImages, ErrorMessage = "Images must be at least 4.")]
    public int Images { get; set; } = 100;

    [Range(1, RunOptions.MaxEpochs, ErrorMessage = "Epochs must be between 1 and 100.")]
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
