namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>A job lesson 5 times: how many images, how many epochs, and whether every layer is trained.</summary>
public sealed record Job(string What, int Images, int Epochs, TrainingKind Kind);

/// <summary>One job's time on this server's CPU, on the reference GPU counting the network alone, and with the images decoded on one CPU thread as LearnDL does.</summary>
public sealed record JobTimes(Job Job, double? CpuSeconds, double GpuNetworkSeconds, double? GpuWithLoadingSeconds);

/// <summary>
/// Lesson 5's table: the time of jobs from a course exercise to real training, from this server's
/// measured speeds and the reference GPU's. The GPU's network time alone flatters it: every image must
/// also be read, decoded and resized on the CPU, and on a fast GPU that becomes the slower part.
/// </summary>
public static class JobSizes
{
    public static readonly IReadOnlyList<Job> Jobs =
    [
        new("300 images, featurize once + head (a course exercise)", 300, 5, TrainingKind.FeaturizeOnce),
        new("2,000 images, featurize once + head (the article's size)", 2_000, 5, TrainingKind.FeaturizeOnce),
        new("60,000 images, featurize once + head", 60_000, 5, TrainingKind.FeaturizeOnce),
        new("60,000 images, train every layer, 10 epochs", 60_000, 10, TrainingKind.EveryLayer),
    ];

    /// <param name="cpuImagesPerSecond">This server's measured featurization speed (its runs decode on a second thread meanwhile), or null.</param>
    /// <param name="loadingImagesPerSecond">Images decoded and resized per second on one thread, measured here, or null.</param>
    public static IReadOnlyList<JobTimes> Times(double? cpuImagesPerSecond, double? loadingImagesPerSecond, GpuReference reference)
    {
        double forward = reference.Speed("gpu", train: false), training = reference.Speed("gpu", train: true);
        return Jobs.Select(job =>
        {
            double? cpu = cpuImagesPerSecond is { } c
                ? job.Kind == TrainingKind.EveryLayer
                    ? job.Images * job.Epochs * ResNet18Work.TrainingStepFactor / c
                    : job.Images / c + job.Epochs * GpuTimeCalculator.HeadSecondsPerEpoch
                : null;
            // Every layer: the GPU's measured training speed; featurize once: its forward speed.
            double network = job.Kind == TrainingKind.EveryLayer
                ? job.Images * job.Epochs / training
                : job.Images / forward + job.Epochs * GpuTimeCalculator.HeadSecondsPerEpoch;
            // Loading overlaps the network: the slower of the two sets the pace. Training every layer
            // reads every image again in every epoch.
            double? withLoading = loadingImagesPerSecond is { } l
                ? job.Kind == TrainingKind.EveryLayer
                    ? job.Epochs * Math.Max(job.Images / training, job.Images / l)
                    : Math.Max(job.Images / forward, job.Images / l) + job.Epochs * GpuTimeCalculator.HeadSecondsPerEpoch
                : null;
            return new JobTimes(job, cpu, network, withLoading);
        }).ToList();
    }
}
