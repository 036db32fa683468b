namespace LearnDL.Web.Datasets;

/// <summary>Sizes as limits and refusals say them to people.</summary>
public static class Sizes
{
    /// <summary>10 MB for 10 × 1024 × 1024 bytes.</summary>
    public static string Megabytes(long bytes) => $"{bytes / (1024.0 * 1024):0.#} MB";
}
