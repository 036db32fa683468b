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

/// <summary>How many batches go through the network at once, with how many threads each, and how many threads prepare images.</summary>
public sealed record FeaturizeParallelism(int BatchesInFlight, int ThreadsPerCall, int Preparers = 1)
{
    private const int MaxInFlight = 8; // each batch in flight holds its activations (tens of MB)

    /// <summary>
    /// On the CPU, one single-threaded call per core, each on its own batch: ONNX Runtime's threads
    /// inside one call wait for one another, so when anything else takes a core (a browser drawing
    /// this run's charts) the whole call stalls; separate batches do not. Measured on 2 cores with a
    /// busy loop beside it: 27 img/s and 25% more CPU-seconds for one two-thread call, 37 img/s and
    /// no extra CPU for two one-thread calls; the same 55 img/s either way when nothing competes.
    /// On the GPU, two calls: one batch is copied in while the other computes.
    /// Preparers get the cores the network leaves idle, at least one: on the CPU the network takes
    /// every core, and one preparer (over 1,500 images/s) feeds its 50-80 images/s with a few percent
    /// of a core; on the GPU the network keeps one core busy driving the card, the rest prepare.
    /// </summary>
    public static FeaturizeParallelism For(ComputeDevice device) => For(device, Environment.ProcessorCount);

    public static FeaturizeParallelism For(ComputeDevice device, int cores)
    {
        if (device == ComputeDevice.Gpu) return new(2, 0, Math.Max(1, cores - 1));
        var inFlight = Math.Clamp(cores, 1, MaxInFlight);
        var threads = Math.Max(1, cores / inFlight);
        return new(inFlight, threads, Math.Max(1, cores - inFlight * threads));
    }
}

/// <summary>
/// Featurizes images with the CNN while the next batches are decoded and resized by the preparers
/// (<see cref="PreparationLine{T}"/>). A few batches circulate between the two, bound to the network
/// (<see cref="NetworkBatch"/>), so memory stays flat however many images there are; several batches
/// may be in the network at once (see <see cref="FeaturizeParallelism"/>).
/// </summary>
public sealed class FeatureExtractor(ResNet18Model model, int batchSize, FeaturizeParallelism parallelism)
{
    public FeatureExtractor(ResNet18Model model, int batchSize, int batchesInFlight = 1) : this(model, batchSize, new FeaturizeParallelism(batchesInFlight, 1))
    {
    }

    public async Task<FeatureSet> RunAsync(IReadOnlyList<ImageSample> samples, IProgress<FeaturizeProgress>? progress, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var inFlight = parallelism.BatchesInFlight;
        var buffers = inFlight + 2;
        var free = Channel.CreateBounded<PreparedBatch<NetworkBatch>>(buffers);
        var ready = Channel.CreateBounded<PreparedBatch<NetworkBatch>>(buffers);
        var batches = new List<NetworkBatch>(buffers);
        try
        {
            for (int i = 0; i < buffers; i++)
            {
                batches.Add(model.CreateBatch(batchSize));
                free.Writer.TryWrite(new PreparedBatch<NetworkBatch>(batches[^1]));
            }
            return await RunAsync(samples, free, ready, progress, start, cancellationToken);
        }
        finally
        {
            foreach (var batch in batches) batch.Dispose();
        }
    }

    private async Task<FeatureSet> RunAsync(IReadOnlyList<ImageSample> samples, Channel<PreparedBatch<NetworkBatch>> free, Channel<PreparedBatch<NetworkBatch>> ready,
        IProgress<FeaturizeProgress>? progress, long start, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A thread of its own for each network call and preparer: each holds one for a batch or an image at a time.
        using var threads = new ComputeThreads(parallelism.BatchesInFlight + parallelism.Preparers, "LearnDL featurize");
        var line = new PreparationLine<NetworkBatch>(samples, batchSize);
        var preparing = line.RunAsync(parallelism.Preparers, free.Reader, ready.Writer, stop.Token, threads);

        // Rows are written at their sample's place, whichever worker gets there first; compacted at the end.
        var features = new float[samples.Count * ResNet18Model.FeatureCount];
        var kept = new List<int>(samples.Count);
        var skipped = new List<(int Index, SkippedImage Image)>();
        var gate = new Lock();
        int active = 0;
        long busySince = 0, inferenceTicks = 0;

        async Task WorkAsync()
        {
            try
            {
                await foreach (var batch in ready.Reader.ReadAllAsync(stop.Token))
                {
                    stop.Token.ThrowIfCancellationRequested();
                    if (batch.Count > 0)
                    {
                        lock (gate) if (active++ == 0) busySince = Stopwatch.GetTimestamp();
                        try { model.Featurize(batch.Memory, batch.Count); }
                        finally { lock (gate) if (--active == 0) inferenceTicks += Stopwatch.GetTimestamp() - busySince; }
                        var output = batch.Memory.Features;
                        for (int i = 0; i < batch.Count; i++)
                            output.Slice(i * ResNet18Model.FeatureCount, ResNet18Model.FeatureCount)
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
                stop.Cancel(); // one worker failing stops the others and the preparers
                throw;
            }
        }

        var running = Enumerable.Range(0, parallelism.BatchesInFlight).Select(_ => threads.Start(WorkAsync)).ToArray();
        try
        {
            await Task.WhenAll(running);
        }
        catch
        {
            // The first real failure, not the cancellations it caused in the other calls.
            var failures = running.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).ToList();
            if (failures.FirstOrDefault(e => e is not OperationCanceledException) is { } real)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(real);
            throw;
        }
        finally
        {
            stop.Cancel();
            await preparing; // it never throws: failures reach the network calls through the channel
        }

        kept.Sort();
        var compact = new float[kept.Count * ResNet18Model.FeatureCount];
        for (int i = 0; i < kept.Count; i++)
            features.AsSpan(kept[i] * ResNet18Model.FeatureCount, ResNet18Model.FeatureCount).CopyTo(compact.AsSpan(i * ResNet18Model.FeatureCount));
        return new(kept, compact, skipped.OrderBy(s => s.Index).Select(s => s.Image).ToList(),
            // Per preparer, so that the stages still read as parts of the run's time however many prepared.
            line.DecodeTime / parallelism.Preparers, line.ResizeTime / parallelism.Preparers,
            Stopwatch.GetElapsedTime(0, inferenceTicks), Stopwatch.GetElapsedTime(start));
    }
}
