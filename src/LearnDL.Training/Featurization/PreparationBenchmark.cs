using System.Diagnostics;
using System.Threading.Channels;
using LearnDL.Training.Datasets;

namespace LearnDL.Training.Featurization;

/// <summary>How fast images are decoded, resized and laid out for the network, without the network: one preparer, then <see cref="Threads"/>.</summary>
public sealed record PreparationSpeed(int Images, int Threads, double OneThreadImagesPerSecond, double AllCoresImagesPerSecond)
{
    public double AllCoresOverOneThread => AllCoresImagesPerSecond / OneThreadImagesPerSecond;
}

/// <summary>
/// Measures preparation alone through the engine's own <see cref="PreparationLine{T}"/>, into batches
/// nobody runs. Each figure is the best of three passes, one thread and all cores taking turns, after
/// warm-up passes, to damp the noise of a shared machine.
/// </summary>
public static class PreparationBenchmark
{
    private const int BatchSize = 16; // what a batch holds does not matter here; fewer hand-overs disturb the preparers less

    public static async Task<PreparationSpeed> RunAsync(IReadOnlyList<ImageSample> samples, int threads, CancellationToken cancellationToken)
    {
        // Whole passes first: the resizing loops run as unoptimised code until the JIT has seen them a while.
        await ImagesPerSecondAsync(samples, 1, cancellationToken);
        await ImagesPerSecondAsync(samples, threads, cancellationToken);
        double one = 0, all = 0;
        for (int round = 0; round < 3; round++)
        {
            one = Math.Max(one, await ImagesPerSecondAsync(samples, 1, cancellationToken));
            all = Math.Max(all, await ImagesPerSecondAsync(samples, threads, cancellationToken));
        }
        return new(samples.Count, threads, one, all);
    }

    private static async Task<double> ImagesPerSecondAsync(IReadOnlyList<ImageSample> samples, int preparers, CancellationToken cancellationToken)
    {
        var buffers = preparers + 2;
        var free = Channel.CreateBounded<PreparedBatch<PixelArray>>(buffers);
        var ready = Channel.CreateBounded<PreparedBatch<PixelArray>>(buffers);
        for (int i = 0; i < buffers; i++) free.Writer.TryWrite(new PreparedBatch<PixelArray>(new PixelArray(BatchSize)));
        var line = new PreparationLine<PixelArray>(samples, BatchSize);
        var start = Stopwatch.GetTimestamp();
        var preparing = line.RunAsync(preparers, free.Reader, ready.Writer, cancellationToken);
        int done = 0;
        await foreach (var batch in ready.Reader.ReadAllAsync(cancellationToken))
        {
            done += batch.Count;
            free.Writer.TryWrite(batch);
        }
        await preparing;
        if (done == 0) throw new InvalidDataException("None of the images could be prepared.");
        return done / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
