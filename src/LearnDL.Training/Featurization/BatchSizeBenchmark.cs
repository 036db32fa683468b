using System.Diagnostics;
using LearnDL.Training.Compute;

namespace LearnDL.Training.Featurization;

/// <summary>
/// One batch size measured: images per second through the network, and the most memory one call took
/// beyond what the process held before it (the batch's pixels and the network's intermediate results);
/// null where the operating system cannot tell (only Linux is read).
/// </summary>
public sealed record BatchTiming(int BatchSize, double ImagesPerSecond, long? PeakBytes, int Calls);

/// <summary>
/// Featurizes the same images at several batch sizes, one call at a time with every core, and measures
/// the speed and the memory of each. Use a model built with <c>poolMemory: false</c>
/// (<see cref="NetworkCache.GetUnpooled"/>): with pools, memory taken once is kept and a later call
/// looks free.
/// </summary>
public static class BatchSizeBenchmark
{
    public static readonly IReadOnlyList<int> DefaultBatchSizes = [1, 2, 4, 8, 16];

    /// <param name="pixels">Preprocessed images (RGB planes, 0-255), <see cref="ResNet18Model.PixelsPerImage"/> floats each; at least the largest batch.</param>
    /// <param name="minSeconds">Each batch size is timed over whole passes through the images until at least this long has passed.</param>
    public static IEnumerable<BatchTiming> Run(ResNet18Model model, float[] pixels, IReadOnlyList<int> batchSizes, double minSeconds, CancellationToken cancellationToken)
    {
        var images = pixels.Length / ResNet18Model.PixelsPerImage;
        if (images < batchSizes.Max()) throw new ArgumentException($"{images} images cannot fill a batch of {batchSizes.Max()}.", nameof(pixels));
        foreach (var batch in batchSizes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var input = new float[batch * ResNet18Model.PixelsPerImage];
            var features = new float[batch * ResNet18Model.FeatureCount];
            Array.Copy(pixels, input, input.Length);
            model.Featurize(input, batch, features); // warm-up: kernels chosen, first-call costs paid

            // Memory: what one call needs at its peak, over what the process holds when it starts.
            FreedMemory.ReturnToSystem();
            var before = PeakMemory.Reset();
            model.Featurize(input, batch, features);
            long? peak = before is { } b && PeakMemory.Read() is { } after ? Math.Max(0, after - b) : null;

            // Speed: whole batches from the images, until the time is up.
            int calls = 0, done = 0, next = 0;
            var start = Stopwatch.GetTimestamp();
            while (calls == 0 || Stopwatch.GetElapsedTime(start).TotalSeconds < minSeconds)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (next + batch > images) next = 0;
                Array.Copy(pixels, (long)next * ResNet18Model.PixelsPerImage, input, 0, input.Length);
                model.Featurize(input, batch, features);
                next += batch;
                done += batch;
                calls++;
            }
            yield return new(batch, done / Stopwatch.GetElapsedTime(start).TotalSeconds, peak, calls);
        }
        FreedMemory.ReturnToSystem();
    }

    /// <summary>The process's peak resident memory, which Linux can reset (<c>/proc/self/clear_refs</c>, value 5).</summary>
    private static class PeakMemory
    {
        /// <summary>Resets the peak to the current resident size and returns it, or null where that cannot be done.</summary>
        public static long? Reset()
        {
            if (!OperatingSystem.IsLinux()) return null;
            try
            {
                File.WriteAllText("/proc/self/clear_refs", "5");
                return Field("VmHWM");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        }

        public static long? Read() => OperatingSystem.IsLinux() ? Field("VmHWM") : null;

        private static long? Field(string name)
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(name + ":", StringComparison.Ordinal))
                    return long.Parse(line[(name.Length + 1)..].Trim().Split(' ')[0]) * 1024; // kB
            return null;
        }
    }
}
