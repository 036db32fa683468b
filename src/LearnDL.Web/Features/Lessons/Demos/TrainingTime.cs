namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>
/// How much slower a full training step (forward, loss, backward, update) runs than the forward pass
/// alone on one kind of processor: forward images per second over training images per second.
/// </summary>
public sealed record TrainingCost(double Cpu, double Gpu)
{
    /// <summary>The reference file's measured ratios: its CPU at batch 8, its GPU at its largest batch.</summary>
    public static TrainingCost From(GpuReference reference) =>
        new(reference.Speed("cpu", train: false) / reference.Speed("cpu", train: true),
            reference.Speed("gpu", train: false) / reference.Speed("gpu", train: true));

    public string Source(GpuReference reference) =>
        $"the reference file's measured training step: {Cpu:0.0}× slower than the forward pass on its CPU, {Gpu:0.0}× on its GPU ({reference.Source})";
}

/// <summary>
/// The head's training time, measured here: seconds per image per epoch in this server's last run
/// (its "train" stage over its images and epochs). The head trains on the CPU whatever the device.
/// </summary>
public sealed record HeadTime(double SecondsPerImageEpoch, string Source)
{
    public double Seconds(int images, int epochs) => SecondsPerImageEpoch * images * epochs;

    public static HeadTime? From(MeasuredRun? run) =>
        run is { Images: > 0, Epochs: > 0 } r && r.Stage("train") > 0
            ? new(r.Stage("train") / r.Images / r.Epochs, $"this server's last CPU run: the head trained {r.Epochs} epochs on {r.Images} images' features in {r.Stage("train"):0.0} s")
            : null;
}

/// <summary>
/// The one rule for the time of a job, used by lesson 5's table, lesson 8's calculator and the course's
/// figures: "featurize once" is each image forward once, then the head's epochs; "train every layer" is
/// every image through a full training step in every epoch, at the forward speed divided by the
/// reference file's measured training cost on that kind of processor (for the reference GPU itself,
/// exactly its measured training speed).
/// </summary>
public static class TrainingTime
{
    public static double TrainingRate(double forwardPerSecond, double cost) => forwardPerSecond / cost;

    /// <param name="cost">Forward over training speed on the processor that does the work (see <see cref="TrainingCost"/>).</param>
    /// <param name="head">The head's measured time, or null when nothing was measured here yet (then it is left out).</param>
    public static double Seconds(int images, int epochs, TrainingKind kind, double forwardPerSecond, double cost, HeadTime? head) =>
        kind == TrainingKind.EveryLayer
            ? (double)images * epochs / TrainingRate(forwardPerSecond, cost)
            : images / forwardPerSecond + (head?.Seconds(images, epochs) ?? 0);
}
