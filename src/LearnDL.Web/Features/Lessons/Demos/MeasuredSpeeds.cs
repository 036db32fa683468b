using LearnDL.Web.Data;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>How fast this server featurized in its own recent runs, per device, for lessons that compute with it.</summary>
public sealed record MeasuredSpeed(string Device, double ImagesPerSecond, int Runs, DateTimeOffset Latest);

public sealed class MeasuredSpeeds(RunStore store)
{
    private const int Recent = 5;

    /// <summary>The median featurization speed of the last few completed runs on <paramref name="device"/>, or null when there is none.</summary>
    public async Task<MeasuredSpeed?> LatestAsync(string device)
    {
        var runs = (await store.ListAsync(new RunFilter(device, RunStatus.Completed), 0, Recent)).Items
            .Where(r => r.FeaturizeImagesPerSecond is > 0 && r.Images >= 40).ToList(); // tiny runs are mostly start-up
        if (runs.Count == 0) return null;
        var rates = runs.Select(r => r.FeaturizeImagesPerSecond!.Value).Order().ToList();
        return new(device, rates[rates.Count / 2], runs.Count, runs[0].CreatedAt);
    }
}
