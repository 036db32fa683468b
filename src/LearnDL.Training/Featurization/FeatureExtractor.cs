using System.Diagnostics;
using System.Threading.Channels;
using LearnDL.Training.Datasets;

namespace LearnDL.Training.Featurization;

/// <summary>How far featurization has got.</summary>
public readonly record struct FeaturizeProgress(int Done, int Total, int Skipped, TimeSpan Elapsed)
{
    public double ImagesPerSecond => Elapsed.TotalSeconds > 0 ? (Done - Skipped) / Elapsed.TotalSeconds : 0;
}

/// <summary>The bottleneck features of every image that decoded, and where the time went.</summary>
public sealed record FeatureSet(
    IReadOnlyList<int> SampleIndices,
    float[] Features,
    IReadOnlyList<string> SkippedSources,
    TimeSpan DecodeTime,
    TimeSpan ResizeTime,
    TimeSpan InferenceTime,
    TimeSpan WallTime)
{
    public int Count => SampleIndices.Count;
    public ReadOnlySpan<float> Row(int i) => Features.AsSpan(i * ResNet18Model.FeatureCount, ResNet18Model.FeatureCount);
}

/// <summary>
/// Featurizes images with the CNN while the next batch is being decoded and resized on another
/// thread. A few batch buffers circulate between the two, so memory stays flat however many
/// images there are, and the network never waits on the decoder for long.
/// </summary>
public sealed class FeatureExtractor(ResNet18Model model, int batchSize)
{
    private const int BuffersInFlight = 3;

    private sealed class Batch(int capacity)
    {
        public readonly float[] Pixels = new float[capacity * ResNet18Model.PixelsPerImage];
        public readonly List<int> Indices = new(capacity);
        public readonly List<string> Skipped = [];
    }

    public async Task<FeatureSet> RunAsync(IReadOnlyList<ImageSample> samples, IProgress<FeaturizeProgress>? progress, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var free = Channel.CreateBounded<Batch>(BuffersInFlight);
        var ready = Channel.CreateBounded<Batch>(BuffersInFlight);
        for (int i = 0; i < BuffersInFlight; i++) free.Writer.TryWrite(new Batch(batchSize));

        long decodeTicks = 0, resizeTicks = 0, inferenceTicks = 0;
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
                        using var image = samples[next].Decode();
                        var t1 = Stopwatch.GetTimestamp();
                        decodeTicks += t1 - t0;
                        if (image is null)
                        {
                            batch.Skipped.Add(samples[next].Source);
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

        var kept = new List<int>(samples.Count);
        var skipped = new List<string>();
        var features = new float[samples.Count * ResNet18Model.FeatureCount];
        try
        {
            await foreach (var batch in ready.Reader.ReadAllAsync(stop.Token))
            {
                stop.Token.ThrowIfCancellationRequested();
                if (batch.Indices.Count > 0)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    model.Featurize(batch.Pixels, batch.Indices.Count, features.AsSpan(kept.Count * ResNet18Model.FeatureCount));
                    inferenceTicks += Stopwatch.GetTimestamp() - t0;
                }
                kept.AddRange(batch.Indices);
                skipped.AddRange(batch.Skipped);
                free.Writer.TryWrite(batch);
                progress?.Report(new(kept.Count + skipped.Count, samples.Count, skipped.Count, Stopwatch.GetElapsedTime(start)));
            }
        }
        finally
        {
            stop.Cancel();
            try { await producer; } catch (OperationCanceledException) { }
        }
        Array.Resize(ref features, kept.Count * ResNet18Model.FeatureCount);
        return new(kept, features, skipped,
            Stopwatch.GetElapsedTime(0, decodeTicks), Stopwatch.GetElapsedTime(0, resizeTicks),
            Stopwatch.GetElapsedTime(0, inferenceTicks), Stopwatch.GetElapsedTime(start));
    }
}
