using LearnDL.Training.Training;
using LearnDL.Web.Data;
using LearnDL.Web.Features.Runs;

namespace LearnDL.Web.Features.Compare;

/// <summary>One run in a comparison, with its times projected to the article's 2000 images.</summary>
public sealed record CompareRow(
    Guid Id, string Label, string Device, string Dataset, int Images, double TotalSeconds, double FeaturizeSeconds,
    double FeaturizeImagesPerSecond, double Projected2000Seconds, double Speedup, double Accuracy, RunResult Result);

public sealed record Comparison(IReadOnlyList<CompareRow> Rows, IReadOnlyList<string> Notes);

/// <summary>Puts finished runs side by side, the way the article compares its CPU and GPU.</summary>
public sealed class CompareService(RunStore store)
{
    public const int ArticleImages = 2000;
    public const double ArticleCpuSeconds = 42 * 60;
    public const double ArticleGpuSeconds = 33;
    public static double ArticleSpeedup => ArticleCpuSeconds / ArticleGpuSeconds;

    /// <summary>
    /// Featurization grows with the image count; model loading, the head and evaluation hardly do.
    /// So 2000 images take the run's other time plus 2000 images at its featurization rate.
    /// </summary>
    public static double ProjectTo(int images, RunResult result) =>
        result.TotalSeconds - result.FeaturizeWallSeconds + images / Math.Max(result.FeaturizeImagesPerSecond, 1e-9);

    public async Task<Comparison> CompareAsync(IReadOnlyCollection<Guid> ids)
    {
        var records = await store.GetManyAsync(ids);
        var notes = new List<string>();
        var done = records.Where(r => r.Status == RunStatus.Completed && r.ResultJson is not null).ToList();
        foreach (var skipped in records.Except(done))
            notes.Add($"Run {skipped.Id.ToString()[..8]} is {skipped.Status.ToString().ToLowerInvariant()}, so it is left out.");
        var results = done.Select(r => (Record: r, Result: RunStore.ResultOf(r)!)).ToList();
        // The baseline is the slowest-projected CPU run (or the slowest run): speedups read like the article's.
        var projected = results.Select(r => ProjectTo(ArticleImages, r.Result)).ToList();
        var baselineIndex = results.Count == 0 ? -1
            : Enumerable.Range(0, results.Count).OrderByDescending(i => results[i].Result.Device == "cpu").ThenByDescending(i => projected[i]).First();
        var rows = results.Select((r, i) => new CompareRow(
            r.Record.Id, Label(r.Record, r.Result), r.Result.Device, r.Result.Dataset, r.Result.Images, r.Result.TotalSeconds,
            r.Result.FeaturizeWallSeconds, r.Result.FeaturizeImagesPerSecond, projected[i],
            projected[baselineIndex] / projected[i], r.Result.MicroAccuracy, r.Result)).ToList();
        if (rows.Count > 0 && rows.All(r => r.Device == "cpu"))
            notes.Add("All these runs used the CPU. Run the same on a GPU to see the gap the article describes.");
        if (rows.Select(r => r.Dataset).Distinct().Count() > 1)
            notes.Add("These runs used different datasets; image sizes differ, so compare their speeds with care.");
        return new(rows, notes);
    }

    private static string Label(RunRecord record, RunResult result) =>
        $"{result.Device.ToUpperInvariant()} · {result.Images} img · {record.CreatedAt.ToLocalTime():HH:mm:ss}";
}
