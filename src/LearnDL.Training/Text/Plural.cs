using System.Globalization;

namespace LearnDL.Training.Text;

/// <summary>A count with its noun, singular for one: "1 epoch", "3 epochs", "1,200 images".</summary>
public static class Plural
{
    /// <param name="plural">The plural when it is not the noun plus "s".</param>
    public static string Of(long count, string noun, string? plural = null) =>
        $"{count.ToString("N0", CultureInfo.InvariantCulture)} {(count == 1 ? noun : plural ?? noun + "s")}";
}
