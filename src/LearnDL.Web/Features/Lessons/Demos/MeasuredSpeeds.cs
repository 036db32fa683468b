using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>How fast this server featurized in its own recent runs, per device, for lessons that compute with it.</summary>
public sealed record MeasuredSpeed(string Device, double ImagesPerSecond, int Runs, DateTimeOffset Latest);

/// <summary>The latest finished run on a device, as lessons use it: where its time went, and how sure its accuracy is.</summary>
public sealed record MeasuredRun(Guid Id, string Device, int Images, int TestImages, double Accuracy, double TotalSeconds, IReadOnlyList<StageTiming> Stages, int Epochs = 0)
{
    public double Stage(string name) => Stages.FirstOrDefault(s => s.Name == name)?.Seconds ?? 0;

    /// <summary>The network's time (featurize), and decoding plus resizing on the one thread that prepares the images.</summary>
    public double NetworkSeconds => Stage("featurize");
    public double LoadingSeconds => Stage("decode") + Stage("resize");

    /// <summary>The share of the run's time the network took: what a faster processor can shrink.</summary>
    public double NetworkShare => TotalSeconds > 0 ? Math.Clamp(NetworkSeconds / TotalSeconds, 0, 1) : 0;
}

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

    /// <summary>The latest completed run of at least 40 images on <paramref name="device"/>, with its stage times, or null.</summary>
    public async Task<MeasuredRun?> LatestRunAsync(string device)
    {
        var summary = (await store.ListAsync(new RunFilter(device, RunStatus.Completed), 0, Recent)).Items
            .FirstOrDefault(r => r.Images >= 40 && r.TotalSeconds is > 0 && r.Stages.Count > 0);
        if (summary is null || await store.GetAsync(summary.Id) is not { } record || RunStore.ResultOf(record) is not { } result) return null;
        return new(summary.Id, device, result.Images, result.TestImages, result.MicroAccuracy, result.TotalSeconds, result.Stages, result.Epochs.Count);
    }
}
