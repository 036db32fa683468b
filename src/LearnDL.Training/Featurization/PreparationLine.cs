using System.Diagnostics;
using System.Threading.Channels;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;

namespace LearnDL.Training.Featurization;

/// <summary>
/// Several preparers decode and resize samples into batches, each with its own <see cref="ImagePreprocessor"/>.
/// Images are handed out one at a time in sample order, each to its own place in its batch, so a batch
/// holds consecutive samples, labels and all, whichever preparer finishes first; the preparer that
/// finishes a batch's last image passes it on. Batches can thus leave out of order, never mixed.
/// One line per run.
/// </summary>
public sealed class PreparationLine<T>(IReadOnlyList<ImageSample> samples, int batchSize) where T : IBatchPixels
{
    private readonly Lock _claiming = new();
    private PreparedBatch<T>? _current;
    private int _next;
    private long _decodeTicks, _resizeTicks;

    /// <summary>Time spent decoding and resizing, summed over the preparers (so it can exceed the wall time).</summary>
    public TimeSpan DecodeTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _decodeTicks));
    public TimeSpan ResizeTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _resizeTicks));

    /// <summary>
    /// Fills batches taken from <paramref name="free"/> and writes each to <paramref name="ready"/> when done
    /// (it must have room for every batch there is). Completes <paramref name="ready"/>, with the failure if any.
    /// The preparers run on <paramref name="threads"/> (a thread each) when given, else on the thread pool.
    /// </summary>
    public async Task RunAsync(int preparers, ChannelReader<PreparedBatch<T>> free, ChannelWriter<PreparedBatch<T>> ready, CancellationToken cancellationToken,
        ComputeThreads? threads = null)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        async Task PrepareUntilDoneAsync()
        {
            try { await PrepareAsync(free, ready, stop.Token); }
            catch { stop.Cancel(); throw; } // one failing stops the others
        }
        var running = Enumerable.Range(0, preparers)
            .Select(_ => threads?.Start(PrepareUntilDoneAsync) ?? Task.Run(PrepareUntilDoneAsync, CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(running);
            ready.TryComplete();
        }
        catch (Exception e)
        {
            // The first real failure, not the cancellations it caused.
            ready.TryComplete(running.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions)
                .FirstOrDefault(x => x is not OperationCanceledException) ?? e);
        }
    }

    private async Task PrepareAsync(ChannelReader<PreparedBatch<T>> free, ChannelWriter<PreparedBatch<T>> ready, CancellationToken cancellationToken)
    {
        var preprocessor = new ImagePreprocessor();
        while (await ClaimAsync(free, cancellationToken) is { } claim)
        {
            var (batch, slot, index) = claim;
            var t0 = Stopwatch.GetTimestamp();
            var (image, problem) = samples[index].Read();
            using var _ = image;
            var t1 = Stopwatch.GetTimestamp();
            Interlocked.Add(ref _decodeTicks, t1 - t0);
            SkippedImage? skipped = null;
            if (image is null) skipped = new SkippedImage(samples[index].Source, problem ?? "It is not a picture LearnDL can read.");
            else
            {
                preprocessor.Write(image, batch.Place(slot));
                Interlocked.Add(ref _resizeTicks, Stopwatch.GetTimestamp() - t1);
            }
            if (batch.Complete(slot, skipped)) ready.TryWrite(batch);
        }
    }

    /// <summary>The next sample, its batch and its place there; a fresh batch from <paramref name="free"/> when the last is handed out.</summary>
    private async Task<(PreparedBatch<T>, int, int)?> ClaimAsync(ChannelReader<PreparedBatch<T>> free, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A plain lock, held for a few instructions: preparers claim thousands of images a second, and an
            // async lock would hand every contended claim to another thread.
            lock (_claiming)
            {
                if (_next >= samples.Count) return null;
                if (_current is { IsFullyClaimed: false } || TryBeginBatch(free))
                    return (_current!, _current!.Claim(), _next++);
            }
            // Every batch is being filled or in the network: wait outside the lock for one to come back.
            if (!await free.WaitToReadAsync(cancellationToken)) throw new InvalidOperationException("The free batches were closed while images remained.");
        }
    }

    private bool TryBeginBatch(ChannelReader<PreparedBatch<T>> free)
    {
        if (!free.TryRead(out var fresh)) return false;
        fresh.Begin(_next, Math.Min(Math.Min(batchSize, fresh.Memory.Capacity), samples.Count - _next));
        _current = fresh;
        return true;
    }
}
