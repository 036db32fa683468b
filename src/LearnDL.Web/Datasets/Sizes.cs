namespace LearnDL.Web.Datasets;

/// <summary>Sizes as limits and refusals say them to people.</summary>
public static class Sizes
{
    /// <summary>10 MB for 10 × 1024 × 1024 bytes.</summary>
    public static string Megabytes(long bytes) => $"{bytes / (1024.0 * 1024):0.#} MB";

    /// <summary>Small sizes in KB ("480 KB"), larger ones as <see cref="Megabytes"/>.</summary>
    public static string Short(long bytes) => bytes < 1024 * 1024 ? $"{Math.Max(1, (bytes + 1023) / 1024)} KB" : Megabytes(bytes);
}
