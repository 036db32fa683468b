using System.Text.Json.Serialization;
using LearnDL.Training.Compute;
using LearnDL.Training.Precision;

namespace LearnDL.Training.Runs;

/// <summary>
/// What a learner asks to run, the same from every door (the launcher, a lesson's Try-it, POST /api/runs,
/// `learndl run`) to the stored run, the worker's wire (<see cref="RunOptions"/> adds the engine's own
/// knobs) and the API: one set of defaults, one validation. A new setting is added here, in the
/// stored run (its column and migration) and in the places that show it.
/// </summary>
public record RunSettings
{
    public string Dataset { get; init; } = "builtin";
    public int Images { get; init; } = 100;
    public int Epochs { get; init; } = 3;
    /// <summary>The device asked for; the queue (or, run alone, the engine's caller) chooses the device it runs on.</summary>
    public DeviceRequest Device { get; init; } = DeviceRequest.Cpu;
    public int Seed { get; init; } = 1;
    /// <summary>FP32 as trained, or INT8 (the CPU only).</summary>
    public NetworkPrecision Precision { get; init; } = NetworkPrecision.Fp32;

    /// <summary>
    /// A preset (a lesson's Try-it): an identical request while one is queued or running joins that run
    /// instead of queueing a copy, so a class pressing the same button makes one run, not thirty. Decided
    /// where runs are admitted, so it does not travel to the workers (their wire stays as it was).
    /// </summary>
    [JsonIgnore]
    public bool Shared { get; init; }

    public const int MaxImages = 100_000;
    public const int MaxEpochs = 100;

    /// <summary>Problems with these settings, in the learner's words; empty when they are fine.</summary>
    public virtual IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Dataset)) errors.Add("Choose a dataset.");
        if (Images < 4 || Images > MaxImages) errors.Add($"Images must be between 4 and {MaxImages:N0}.");
        if (Epochs < 1 || Epochs > MaxEpochs) errors.Add($"Epochs must be between 1 and {MaxEpochs}.");
        if (Precision == NetworkPrecision.Int8 && Device != DeviceRequest.Cpu) errors.Add($"{NetworkPrecisions.CpuOnly} Choose the CPU.");
        return errors;
    }
}
