using LearnDL.Training.Compute;

namespace LearnDL.Training.Training;

/// <summary>What a learner asks for: which images, how many, how long to train, on which processor.</summary>
public sealed record RunOptions
{
    public string Dataset { get; init; } = "builtin";
    public int Images { get; init; } = 200;
    public int Epochs { get; init; } = 3;
    public DeviceRequest Device { get; init; } = DeviceRequest.Auto;
    public int Seed { get; init; } = 1;
    public double TestFraction { get; init; } = 0.2;
    /// <summary>Where to save the trained model (an ML.NET model file), or null.</summary>
    public string? SaveModelPath { get; init; }
    /// <summary>L-BFGS iterations of the head per epoch; each iteration is one full pass over the cached features.</summary>
    public int HeadIterationsPerEpoch { get; init; } = 25;

    public const int MaxImages = 100_000;
    public const int MaxEpochs = 100;

    /// <summary>Problems with these options, in the learner's words; empty when they are fine.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Dataset)) errors.Add("Choose a dataset.");
        if (Images < 4 || Images > MaxImages) errors.Add($"Images must be between 4 and {MaxImages:N0}.");
        if (Epochs < 1 || Epochs > MaxEpochs) errors.Add($"Epochs must be between 1 and {MaxEpochs}.");
        if (TestFraction is <= 0 or >= 1) errors.Add("The held-out fraction must be between 0 and 1 (e.g. 0.2).");
        if (HeadIterationsPerEpoch < 1) errors.Add("Head iterations per epoch must be at least 1.");
        return errors;
    }
}
