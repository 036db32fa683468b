using System.Globalization;
using LearnDL.Training.Runs;

namespace LearnDL.Web.Features.Lessons;

/// <summary>A figure a run measures, that a lesson can ask the reader to predict first.</summary>
public sealed record PredictionMetric(string Id, string Unit, string Label, Func<RunResult, double?> Measure);

/// <summary>The figures a Try-it's prediction can be about, by the id a lesson's front matter names.</summary>
public static class PredictionMetrics
{
    public static readonly IReadOnlyList<PredictionMetric> All =
    [
        new("total-seconds", "seconds", "the whole run's time", r => r.TotalSeconds),
        new("accuracy", "%", "held-out accuracy", r => 100 * r.MicroAccuracy),
        new("featurize-rate", "images/s", "images through the network per second", r => r.FeaturizeImagesPerSecond),
        new("featurize-share", "%", "the network's share of the run's time",
            r => Stage(r, "featurize") is { } f && r.TotalSeconds > 0 ? 100 * Math.Min(1, f / r.TotalSeconds) : null),
        new("decode-share", "%", "decoding and resizing time, as a percentage of the network's time",
            r => Stage(r, "featurize") is > 0 and var f ? 100 * ((Stage(r, "decode") ?? 0) + (Stage(r, "resize") ?? 0)) / f : null),
    ];

    public static PredictionMetric? Find(string id) => All.FirstOrDefault(m => m.Id == id);

    private static double? Stage(RunResult r, string name) => r.Stages.FirstOrDefault(s => s.Name == name)?.Seconds;
}

/// <summary>A reader's committed guess set against what was measured, and what to say about the difference.</summary>
public sealed record Prediction(double Guess, double Measured, string Unit)
{
    /// <summary>How far the guess was, as a factor (always at least 1): 1.25 is within a quarter.</summary>
    public double Factor => Guess <= 0 || Measured <= 0 ? double.PositiveInfinity
        : Math.Max(Guess, Measured) / Math.Min(Guess, Measured);

    public bool Close => Factor <= 1.25;

    public string Verdict
    {
        get
        {
            var said = $"You predicted {Format(Guess, Unit)}; this server measured {Format(Measured, Unit)}.";
            if (Close) return said + " Close: within a quarter of the measurement.";
            if (double.IsInfinity(Factor)) return said + " A guess of zero cannot be compared as a ratio: the measurement is the answer.";
            var way = Guess > Measured ? "too high" : "too low";
            return said + $" Your guess was {Factor.ToString(Factor < 10 ? "0.#" : "0", CultureInfo.InvariantCulture)} times {way}.";
        }
    }

    public static string Format(double value, string unit)
    {
        var number = value.ToString(Math.Abs(value) >= 100 ? "N0" : "0.#", CultureInfo.InvariantCulture);
        return unit switch { "%" => number + "%", "×" => number + "×", "" => number, _ => number + " " + unit };
    }

    /// <summary>Reads what the reader typed: a number, with a comma or a point for decimals; null when it is not one.</summary>
    public static double? ParseGuess(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var cleaned = text.Trim().TrimEnd('%', '×', 'x', 's').Trim();
        // "1,000" is a thousand; "1,5" is one and a half.
        cleaned = System.Text.RegularExpressions.Regex.IsMatch(cleaned, @"^\d{1,3}(,\d{3})+(\.\d+)?$") ? cleaned.Replace(",", "") : cleaned.Replace(',', '.');
        return double.TryParse(cleaned, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && double.IsFinite(v) ? v : null;
    }
}
