using System.Diagnostics;
using System.Threading.Channels;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;

namespace LearnDL.Training.Featurization;

/// <summary>How far featurization has got.</summary>
public readonly record struct FeaturizeProgress(int Done, int Total, int Skipped, TimeSpan Elapsed)
{
    public double ImagesPerSecond => Elapsed.TotalSeconds > 0 ? (Done - Skipped) / Elapsed.TotalSeconds : 0;
}

/// <summary>An image a run could not use, and why (it did not decode, it was cut short, it declared too many pixels...).</summary>
public sealed record SkippedImage(string Source, string Reason);

/// <summary>The bottleneck features of every image that decoded, and where the time went.</summary>
public sealed record FeatureSet(
    IReadOnlyList<int> SampleIndices,
    float[] Features,
    IReadOnlyList<SkippedImage> Skipped,
    TimeSpan DecodeTime,
    TimeSpan ResizeTime,
    TimeSpan InferenceTime,
    TimeSpan WallTime)
{
    public int Count => SampleIndices.Count;
    public ReadOnlySpan<float> Row(int i) => Features.AsSpan(i * ResNet18Model.FeatureCount, ResNet18Model.FeatureCount);
}

/// <summary>How many batches go through the network at once, and with how many threads each.</summary>
public sealed record FeaturizeParallelism(int Workers, int ThreadsPerCall)
{
    private const int MaxWorkers = 8; // each batch in flight holds its activations (tens of MB)

    /// <summary>
    /// On the CPU, one single-threaded call per core, each on its own batch: ONNX Runtime's threads
    /// inside one call wait for one another, so when anything else takes a core (a browser drawing
    /// this run's charts) the whole call stalls; separate batches do not. Measured on 2 cores with a
    /// busy loop beside it: 27 img/s and 25% more CPU-seconds for one two-thread call, 37 img/s and
    /// no extra CPU for two one-thread calls; the same 55 img/s either way when nothing competes.
    /// On the GPU, one call at a time: the card runs the batch in parallel.
    /// </summary>
    public static FeaturizeParallelism For(ComputeDevice device)
    {
        if (device == ComputeDevice.Gpu) return new(1, 0);
        var workers = Math.Clamp(Environment.ProcessorCount, 1, MaxWorkers);
        return new(workers, Math.Max(1, Environment.ProcessorCount / workers));
    }
}

/// <summary>
/// Featurizes images with the CNN while the next batches are decoded and resized on another
/// thread. A few batch buffers circulate between the two, so memory stays flat however many
/// images there are; several batches may be in the network at once (see <see cref="FeaturizeParallelism"/>).
/// </summary>
public sealed class FeatureExtractor(ResNet18Model model, int batchSize, int workers = 1)
{
    private sealed class Batch(int capacity)
    {
        public readonly float[] Pixels = new float[capacity * ResNet18Model.PixelsPerImage];
        public readonly List<int> Indices = new(capacity);
        public readonly List<(int Index, SkippedImage Image)> Skipped = [];
    }

    public async Task<FeatureSet> RunAsync(IReadOnlyList<ImageSample> samples, IProgress<FeaturizeProgress>? progress, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var buffers = workers + 2;
        var free = Channel.CreateBounded<Batch>(buffers);
        var ready = Channel.CreateBounded<Batch>(buffers);
        for (int i = 0; i < buffers; i++) free.Writer.TryWrite(new Batch(batchSize));

        long decodeTicks = 0, resizeTicks = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Run(async () =>
        {
            var preprocessor = new ImagePreprocessor();
            try
            {
                int next = 0;
                while (next < samples.Count)
                {
                    var batch = await free.Reader.ReadAsync(stop.Token);
                    batch.Indices.Clear();
                    batch.Skipped.Clear();
                    for (; next < samples.Count && batch.Indices.Count < batchSize; next++)
                    {
                        stop.Token.ThrowIfCancellationRequested();
                        var t0 = Stopwatch.GetTimestamp();
                        var (image, problem) = samples[next].Read();
                        using var _ = image;
                        var t1 = Stopwatch.GetTimestamp();
                        decodeTicks += t1 - t0;
                        if (image is null)
                        {
                            batch.Skipped.Add((next, new SkippedImage(samples[next].Source, problem ?? "It is not a picture LearnDL can read.")));
                            continue;
                        }
                        preprocessor.Write(image, batch.Pixels.AsSpan(batch.Indices.Count * ResNet18Model.PixelsPerImage, ResNet18Model.PixelsPerImage));
                        resizeTicks += Stopwatch.GetTimestamp() - t1;
                        batch.Indices.Add(next);
                    }
                    await ready.Writer.WriteAsync(batch, stop.Token);
                }
                ready.Writer.Complete();
            }
            catch (Exception e)
            {
                ready.Writer.Complete(e);
            }
        }, CancellationToken.None);

        // Rows are written at their sample's place, whichever worker gets there first; compacted at the end.
        var features = new float[samples.Count * ResNet18Model.FeatureCount];
        var kept = new List<int>(samples.Count);
        var skipped = new List<(int Index, SkippedImage Image)>();
        var gate = new Lock();
        int active = 0;
        long busySince = 0, inferenceTicks = 0;

        async Task WorkAsync()
        {
            var output = new float[batchSize * ResNet18Model.FeatureCount];
            try
            {
                await foreach (var batch in ready.Reader.ReadAllAsync(stop.Token))
                {
                    stop.Token.ThrowIfCancellationRequested();
                    if (batch.Indices.Count > 0)
                    {
                        lock (gate) if (active++ == 0) busySince = Stopwatch.GetTimestamp();
                        try { model.Featurize(batch.Pixels, batch.Indices.Count, output); }
                        finally { lock (gate) if (--active == 0) inferenceTicks += Stopwatch.GetTimestamp() - busySince; }
                        for (int i = 0; i < batch.Indices.Count; i++)
                            output.AsSpan(i * ResNet18Model.FeatureCount, ResNet18Model.FeatureCount)
                                .CopyTo(features.AsSpan(batch.Indices[i] * ResNet18Model.FeatureCount));
                    }
                    FeaturizeProgress report;
                    lock (gate)
                    {
                        kept.AddRange(batch.Indices);
                        skipped.AddRange(batch.Skipped);
                        report = new(kept.Count + skipped.Count, samples.Count, skipped.Count, Stopwatch.GetElapsedTime(start));
                        // Reported under the lock, so counts only ever go up whichever worker finishes first.
                        progress?.Report(report);
                    }
                    free.Writer.TryWrite(batch);
                }
            }
            catch
            {
                stop.Cancel(); // one worker failing stops the others and the producer
                throw;
            }
        }

        var running = Enumerable.Range(0, workers).Select(_ => Task.Run(WorkAsync, CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(running);
        }
        catch
        {
            // The first real failure, not the cancellations it caused in the other workers.
            var failures = running.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).ToList();
            if (failures.FirstOrDefault(e => e is not OperationCanceledException) is { } real)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(real);
            throw;
        }
        finally
        {
            stop.Cancel();
            try { await producer; } catch (OperationCanceledException) { }
        }

        kept.Sort();
        var compact = new float[kept.Count * ResNet18Model.FeatureCount];
        for (int i = 0; i < kept.Count; i++)
            features.AsSpan(kept[i] * ResNet18Model.FeatureCount, ResNet18Model.FeatureCount).CopyTo(compact.AsSpan(i * ResNet18Model.FeatureCount));
        return new(kept, compact, skipped.OrderBy(s => s.Index).Select(s => s.Image).ToList(),
            Stopwatch.GetElapsedTime(0, decodeTicks), Stopwatch.GetElapsedTime(0, resizeTicks),
            Stopwatch.GetElapsedTime(0, inferenceTicks), Stopwatch.GetElapsedTime(start));
    }
}
