using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Features.Compare;

/// <summary>One run in a comparison, with its times projected to the article's 2000 images.</summary>
public sealed record CompareRow(
    Guid Id, string Label, string Device, string Dataset, int Images, double TotalSeconds, double FeaturizeSeconds,
    double FeaturizeImagesPerSecond, double Projected2000Seconds, double Speedup, double Accuracy, IReadOnlyList<StageTiming> Stages, string Precision = "fp32");

public sealed record Comparison(IReadOnlyList<CompareRow> Rows, IReadOnlyList<string> Notes);

/// <summary>
/// Puts finished runs side by side, the way the article compares its CPU and GPU. Reads slim rows only,
/// and only of runs the person may see: someone else's run is left out as if it did not exist.
/// </summary>
public sealed class CompareService(RunStore store, IAuthorizationService authorization, IOptions<LearnDLOptions> options)
{
    /// <summary>Runs in one comparison, at most: a table people read, not a report.</summary>
    public const int MaxRuns = 20;

    public const int ArticleImages = 2000;
    public const double ArticleCpuSeconds = 42 * 60;
    public const double ArticleGpuSeconds = 33;
    public static double ArticleSpeedup => ArticleCpuSeconds / ArticleGpuSeconds;

    /// <summary>
    /// Featurization grows with the image count; model loading, the head and evaluation hardly do.
    /// So N images take the run's other time plus N images at its featurization rate.
    /// </summary>
    public static double ProjectTo(int images, double totalSeconds, double featurizeWallSeconds, double featurizeImagesPerSecond) =>
        totalSeconds - featurizeWallSeconds + images / Math.Max(featurizeImagesPerSecond, 1e-9);

    public static double ProjectTo(int images, RunResult result) =>
        ProjectTo(images, result.TotalSeconds, result.FeaturizeWallSeconds, result.FeaturizeImagesPerSecond);

    /// <summary>The latest finished run on each device that this person may see.</summary>
    public async Task<Comparison> CompareLatestAsync(RunOwner owner)
    {
        var latest = await store.ListAsync(new RunFilter(Status: RunStatus.Completed).For(owner, options.Value.Class.IsOn), 0, 50);
        return await CompareAsync(latest.Items.GroupBy(r => r.DeviceShown).Select(g => g.First().Id).ToList(), owner);
    }

    public async Task<Comparison> CompareAsync(IReadOnlyCollection<Guid> ids, RunOwner owner)
    {
        var notes = new List<string>();
        if (ids.Count > MaxRuns) notes.Add($"Only the first {MaxRuns} runs are compared.");
        var visible = new List<Guid>();
        foreach (var id in ids.Take(MaxRuns))
            if (await authorization.AllowsAsync(owner, new RunRef(id), Access.See)) visible.Add(id);
        var runs = await store.GetSummariesAsync(visible);
        var done = runs.Where(r => r is { Status: RunStatus.Completed, TotalSeconds: not null, FeaturizeSeconds: not null, FeaturizeImagesPerSecond: not null }).ToList();
        foreach (var skipped in runs.Except(done))
            notes.Add($"Run {skipped.Id.ToString()[..8]} is {skipped.Status.ToString().ToLowerInvariant()}, so it is left out.");
        // The baseline is the slowest-projected CPU run (or the slowest run): speedups read like the article's.
        var projected = done.Select(r => ProjectTo(ArticleImages, r.TotalSeconds!.Value, r.FeaturizeSeconds!.Value, r.FeaturizeImagesPerSecond!.Value)).ToList();
        var baselineIndex = done.Count == 0 ? -1
            : Enumerable.Range(0, done.Count).OrderByDescending(i => done[i].Device == "cpu").ThenByDescending(i => projected[i]).First();
        var rows = done.Select((r, i) => new CompareRow(
            r.Id, Label(r), r.DeviceShown, r.Dataset, r.Images, r.TotalSeconds!.Value, r.FeaturizeSeconds!.Value,
            r.FeaturizeImagesPerSecond!.Value, projected[i], projected[baselineIndex] / projected[i], r.Accuracy ?? 0, r.Stages, r.Precision)).ToList();
        if (rows.Count > 0 && rows.All(r => r.Device == "cpu"))
            notes.Add("All these runs used the CPU. Run the same on a GPU to see the gap the article describes.");
        if (rows.Select(r => r.Dataset).Distinct().Count() > 1)
            notes.Add("These runs used different datasets; image sizes differ, so compare their speeds with care.");
        return new(rows, notes);
    }

    private static string Label(RunSummary run) =>
        $"{run.MachineShown} · {run.Images} img · {run.CreatedAt.ToLocalTime():HH:mm:ss}";
}
