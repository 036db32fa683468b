namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>A job lesson 5 times: how many images, how many epochs, and whether every layer is trained.</summary>
public sealed record Job(string What, int Images, int Epochs, TrainingKind Kind);

/// <summary>One job's time on this server's CPU, on the reference GPU counting the network alone, and with the images decoded on the CPU as LearnDL does beside a GPU.</summary>
public sealed record JobTimes(Job Job, double? CpuSeconds, double GpuNetworkSeconds, double? GpuWithLoadingSeconds);

/// <summary>
/// Lesson 5's table: the time of jobs from a course exercise to real training, from this server's
/// measured speeds and the reference GPU's, by the course's one rule (<see cref="TrainingTime"/>). The
/// GPU's network time alone flatters it: every image must also be read, decoded and resized on the CPU
/// (beside a GPU LearnDL does that on every core but one), and on a fast GPU that becomes the slower part.
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

    /// <summary>Threads that decode and resize beside a GPU: every core but one (FeaturizeParallelism).</summary>
    public static int GpuPreparers(int cores) => LearnDL.Training.Featurization.FeaturizeParallelism.For(LearnDL.Training.Compute.ComputeDevice.Gpu, cores).Preparers;

    /// <param name="cpuImagesPerSecond">This server's measured featurization speed, or null.</param>
    /// <param name="loadingImagesPerSecond">Images decoded and resized per second on one thread, measured here, or null.</param>
    /// <param name="cores">This server's cores: beside a GPU, all but one decode.</param>
    public static IReadOnlyList<JobTimes> Times(double? cpuImagesPerSecond, double? loadingImagesPerSecond, GpuReference reference, HeadTime? head, int cores)
    {
        var cost = TrainingCost.From(reference);
        double forward = reference.Speed("gpu", train: false);
        double? feeding = loadingImagesPerSecond * GpuPreparers(cores);
        return Jobs.Select(job =>
        {
            double? cpu = cpuImagesPerSecond is { } c ? TrainingTime.Seconds(job.Images, job.Epochs, job.Kind, c, cost.Cpu, head) : null;
            double network = TrainingTime.Seconds(job.Images, job.Epochs, job.Kind, forward, cost.Gpu, head);
            // Loading overlaps the network: the slower of the two sets the pace. Training every layer
            // reads every image again in every epoch.
            double? withLoading = feeding is { } l
                ? Math.Max(network - (job.Kind == TrainingKind.FeaturizeOnce ? head?.Seconds(job.Images, job.Epochs) ?? 0 : 0),
                           job.Images * (job.Kind == TrainingKind.EveryLayer ? job.Epochs : 1) / l)
                  + (job.Kind == TrainingKind.FeaturizeOnce ? head?.Seconds(job.Images, job.Epochs) ?? 0 : 0)
                : null;
            return new JobTimes(job, cpu, network, withLoading);
        }).ToList();
    }
}
