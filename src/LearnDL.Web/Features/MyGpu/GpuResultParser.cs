using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LearnDL.Web.Features.MyGpu;

/// <summary>What became of a pasted result: the card (when it was accepted), why not, and anything the learner should know.</summary>
public sealed record GpuResultOutcome(LearnerGpu? Gpu, IReadOnlyList<string> Problems, string? Notice)
{
    public bool Accepted => Gpu is not null;
}

/// <summary>
/// Reads the one line of JSON LearnDL's notebook prints (<see cref="GpuNotebook"/>) and checks it: its shape,
/// figures in a range real hardware reaches, and a card's name that looks like one. Everything a learner
/// pastes is untrusted: a problem is said in words, with what to do, never as an exception.
/// </summary>
public static partial class GpuResultParser
{
    public const string Kind = "learndl-gpu-result";
    public const int Version = 1;
    public const int MaxLength = 64 * 1024;

    /// <summary>224×224-equivalent images a second no card comes near (an H200 does about 9,000 forward in FP32).</summary>
    public const double MaxImagesPerSecond = 200_000;
    /// <summary>Floating-point operations a second no single card reaches (an H200's FP16 peak is about 2×10¹⁵ with sparsity).</summary>
    public const double MaxFlops = 5e15;

    public static GpuResultOutcome Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return No("Paste the result first: the one line of JSON the notebook's last cell printed.");
        if (text.Length > MaxLength) return No("That is far longer than the notebook's result: paste only the one line of JSON its last cell printed.");
        var json = text.Trim();
        // Accept the whole printed line, or a file that holds it with text around (a downloaded output).
        var start = json.IndexOf('{');
        var end = json.LastIndexOf('}');
        if (start < 0 || end < start) return No("That is not the notebook's result: paste the one line of JSON its last cell printed, from { to }.");
        JsonDocument document;
        try { document = JsonDocument.Parse(json[start..(end + 1)]); }
        catch (JsonException) { return No("That is not the notebook's result: its JSON is cut short or changed. Copy the whole line the last cell printed, from { to }, and paste it again."); }
        using (document)
        {
            try { return Read(document.RootElement); }
            catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
            {
                return No("That result is missing figures the notebook always prints: run the notebook from lesson 8 again, unchanged, and paste its last line.");
            }
        }
    }

    private static GpuResultOutcome Read(JsonElement root)
    {
        var problems = new List<string>();
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("learndl", out var kind) || kind.GetString() != Kind)
            return No("That JSON is not a LearnDL GPU result: download the notebook from lesson 8, run it, and paste what its last cell printed.");
        if (root.GetProperty("version").GetInt32() != Version)
            return No("That result comes from another version of LearnDL's notebook: download the notebook again from lesson 8 and run it.");

        var device = root.GetProperty("device").GetString();
        if (device is not ("cuda" or "cpu")) return No("The result names no device the notebook measures (cuda or cpu): run the notebook again, unchanged.");
        var name = (device == "cuda" ? root.GetProperty("gpu").GetString() : root.GetProperty("cpu").GetString())?.Trim() ?? "";
        if (!CardName().IsMatch(name))
            problems.Add(device == "cuda"
                ? "The card's name is not one a GPU reports (letters, digits, spaces and - _ . ( ) /, up to 80 characters): run the notebook again, unchanged."
                : "The processor's name is not one a CPU reports: run the notebook again, unchanged.");
        var torch = root.GetProperty("torch").GetString() ?? "";
        if (!TorchVersion().IsMatch(torch)) problems.Add("The PyTorch version is not one PyTorch reports: run the notebook again, unchanged.");
        var measured = root.GetProperty("measured").GetString() ?? "";
        if (!DateOnly.TryParseExact(measured, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) || date.Year < 2020 || date > DateOnly.FromDateTime(DateTime.UtcNow.AddDays(2)))
            problems.Add("The result's date is not a real day of measuring: run the notebook again.");
        var size = root.GetProperty("image_size").GetInt32();
        if (size is < 32 or > 1024) problems.Add($"Images of {size}×{size} are not what the notebook measures (224×224): run it again, unchanged.");

        var network = new List<GpuTiming>();
        foreach (var row in root.GetProperty("resnet18").EnumerateArray())
        {
            var timing = new GpuTiming(row.GetProperty("precision").GetString() ?? "", row.GetProperty("batch").GetInt32(), row.GetProperty("train").GetBoolean(), row.GetProperty("images_per_second").GetDouble());
            var at224 = timing.ImagesPerSecond * Math.Pow(Math.Clamp(size, 32, 1024) / 224.0, 2);
            if (timing.Precision is not ("fp32" or "amp") || timing.Batch is < 1 or > 4096)
                problems.Add("A ResNet18 timing has a precision or batch the notebook does not use: run it again, unchanged.");
            else if (!double.IsFinite(at224) || at224 <= 0.05 || at224 > MaxImagesPerSecond)
                problems.Add($"{timing.ImagesPerSecond.ToString("N0", CultureInfo.InvariantCulture)} images a second ({(timing.Train ? "training" : "forward")}, batch {timing.Batch}) is outside what any processor does with ResNet18 (0.05 to {MaxImagesPerSecond:N0} at 224×224): run the notebook again.");
            network.Add(timing);
        }
        var forward = network.Where(n => n.Precision == "fp32" && !n.Train).MaxBy(n => n.Batch);
        var train = network.Where(n => n.Precision == "fp32" && n.Train).MaxBy(n => n.Batch);
        if (forward is null || train is null) problems.Add("The result has no FP32 forward or training timing of ResNet18: run the notebook again, unchanged.");
        else if (train.ImagesPerSecond > forward.ImagesPerSecond * 1.2)
            problems.Add("Its training step is faster than its forward pass, which cannot be (a step includes a forward pass): run the notebook again.");

        var multiply = new List<GpuMultiply>();
        foreach (var row in root.GetProperty("matmul").EnumerateArray())
        {
            var m = new GpuMultiply(row.GetProperty("precision").GetString() ?? "", row.GetProperty("n").GetInt32(), row.GetProperty("seconds").GetDouble());
            if (m.N is < 1 or > 32768 || !(m.Seconds > 0) || 2.0 * m.N * m.N * m.N / m.Seconds > MaxFlops)
                problems.Add($"A {m.N}×{m.N} multiply in {m.Seconds.ToString("G3", CultureInfo.InvariantCulture)} s is outside what any processor does: run the notebook again.");
            multiply.Add(m);
        }

        if (problems.Count > 0) return new(null, problems.Distinct().ToList(), null);
        var gpu = new LearnerGpu(name, device, torch.Split('+')[0], measured, size, network, multiply);
        return new(gpu, [], gpu.OnGpu ? null
            : "This was measured on the notebook's CPU: the notebook had no GPU runtime. In Colab choose Runtime › Change runtime type › T4 GPU; in Kaggle, Settings › Accelerator › a GPU; then run every cell again and paste the new result. Until then it is shown as your notebook's CPU.");
    }

    private static GpuResultOutcome No(string problem) => new(null, [problem], null);

    [GeneratedRegex(@"^[\p{L}\p{N} \-_.()/@,]{2,80}$")]
    private static partial Regex CardName();

    [GeneratedRegex(@"^\d+\.\d+(\.\d+)?([a-z0-9.+\-]*)$", RegexOptions.IgnoreCase)]
    private static partial Regex TorchVersion();
}
