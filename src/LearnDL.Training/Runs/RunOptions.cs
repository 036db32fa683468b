namespace LearnDL.Training.Runs;

/// <summary>A run as the engine takes it: the learner's <see cref="RunSettings"/>, and the engine's own knobs.</summary>
public sealed record RunOptions : RunSettings
{
    public double TestFraction { get; init; } = 0.2;
    /// <summary>Where to save the trained model (an ML.NET model file), or null.</summary>
    public string? SaveModelPath { get; init; }
    /// <summary>L-BFGS iterations of the head per epoch; each iteration is one full pass over the cached features.</summary>
    public int HeadIterationsPerEpoch { get; init; } = 25;

    public RunOptions() { }

    private RunOptions(RunSettings settings) : base(settings) { }

    /// <summary>The engine's options for these settings (its own knobs at their defaults).</summary>
    public static RunOptions For(RunSettings settings) => new(settings);

    /// <summary>Problems with these options, in the learner's words; empty when they are fine.</summary>
    public override IReadOnlyList<string> Validate()
    {
        var errors = base.Validate().ToList();
        if (TestFraction is <= 0 or >= 1) errors.Add("The held-out fraction must be between 0 and 1 (e.g. 0.2).");
        if (HeadIterationsPerEpoch < 1) errors.Add("Head iterations per epoch must be at least 1.");
        return errors;
    }
}
