using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LearnDL.Web.Features.MyGpu;

/// <summary>One ResNet-18 timing from the notebook: forward or a training step, at a batch size and precision.</summary>
public sealed record GpuTiming(string Precision, int Batch, bool Train, double ImagesPerSecond);

/// <summary>One matrix multiply timing from the notebook.</summary>
public sealed record GpuMultiply(string Precision, int N, double Seconds);

/// <summary>
/// The card a learner measured with LearnDL's notebook (lesson 8), as they pasted it: kept in their browser
/// (personal mode) or with them (class mode), and shown beside the reference GPU, labelled as theirs.
/// Speeds are for 224×224 images; a notebook run at a smaller size (a quick test) is scaled by the area
/// and says so.
/// </summary>
public sealed record LearnerGpu(
    string Name, string Device, string Torch, string Measured, int ImageSize,
    IReadOnlyList<GpuTiming> Network, IReadOnlyList<GpuMultiply> Multiply)
{
    [JsonIgnore]
    public bool OnGpu => Device == "cuda";

    /// <summary>Scale from the measured image size to 224×224: the work grows with the area.</summary>
    private double AreaScale => Math.Pow(ImageSize / 224.0, 2);

    private double? Best(bool train, string precision) =>
        Network.Where(n => n.Train == train && n.Precision == precision).MaxBy(n => n.Batch)?.ImagesPerSecond * AreaScale;

    /// <summary>Forward images a second at 224×224, FP32.</summary>
    [JsonIgnore]
    public double ForwardImagesPerSecond => Best(false, "fp32") ?? double.NaN;
    /// <summary>A full training step's images a second at 224×224, FP32.</summary>
    [JsonIgnore]
    public double TrainImagesPerSecond => Best(true, "fp32") ?? double.NaN;
    [JsonIgnore]
    public double? AmpForwardImagesPerSecond => Best(false, "amp");
    [JsonIgnore]
    public double? AmpTrainImagesPerSecond => Best(true, "amp");

    /// <summary>How much slower a training step is than the forward pass on this card, measured.</summary>
    [JsonIgnore]
    public double TrainingCost => ForwardImagesPerSecond / TrainImagesPerSecond;

    [JsonIgnore]
    public string Source =>
        $"measured by you on {(OnGpu ? Name : $"your notebook's CPU ({Name})")} with PyTorch {Torch} on {Measured} (lesson 8's notebook)" +
        (ImageSize == 224 ? "" : $", at {ImageSize}×{ImageSize} and scaled to 224×224 by the area");

    public string Json() => JsonSerializer.Serialize(this, Options);

    public static LearnerGpu? FromJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try { return JsonSerializer.Deserialize<LearnerGpu>(json, Options); }
        catch (JsonException) { return null; }
    }

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public string Rate(double perSecond) => perSecond.ToString(perSecond >= 100 ? "N0" : "0.#", CultureInfo.InvariantCulture) + " images a second";
}
