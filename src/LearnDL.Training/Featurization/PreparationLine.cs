using System.Diagnostics;
using System.Threading.Channels;
using LearnDL.Training.Datasets;

namespace LearnDL.Training.Featurization;

/// <summary>Room for a batch of images as the network's input: <see cref="ResNet18Model.PixelsPerImage"/> floats each.</summary>
public interface IBatchPixels
{
    int Capacity { get; }
    Span<float> Pixels { get; }
}

/// <summary>A batch in managed memory, for preparation measured without the network.</summary>
public sealed class PixelArray(int capacity) : IBatchPixels
{
    private readonly float[] _pixels = new float[capacity * ResNet18Model.PixelsPerImage];
    public int Capacity => capacity;
    public Span<float> Pixels => _pixels;
}

/// <summary>A batch's memory and the samples it holds, in sample order, with the pictures that could not be used.</summary>
public sealed class PreparedBatch<T>(T memory) where T : IBatchPixels
{
    private readonly bool[] _kept = new bool[memory.Capacity];
    private int _first, _size, _pending;

    public T Memory => memory;
    /// <summary>The samples whose images fill the batch's first <see cref="Count"/> places, in order.</summary>
    public List<int> Indices { get; } = new(memory.Capacity);
    public List<(int Index, SkippedImage Image)> Skipped { get; } = [];
    public int Count => Indices.Count;

    /// <summary>How many places have been handed out (under the line's lock).</summary>
    internal int Claimed { get; private set; }
    internal bool IsFullyClaimed => Claimed == _size;

    internal void Begin(int first, int size)
    {
        (_first, _size, _pending, Claimed) = (first, size, size, 0);
        Indices.Clear();
        Skipped.Clear();
    }

    internal int Claim() => Claimed++;

    internal Span<float> Place(int slot) => memory.Pixels.Slice(slot * ResNet18Model.PixelsPerImage, ResNet18Model.PixelsPerImage);

    /// <summary>Records a place as filled (or its picture as skipped); true for the call that completes the batch.</summary>
    internal bool Complete(int slot, SkippedImage? skipped)
    {
        _kept[slot] = skipped is null;
        if (skipped is not null) lock (Skipped) Skipped.Add((_first + slot, skipped));
        if (Interlocked.Decrement(ref _pending) > 0) return false;
        // Every place is done (the decrement orders the other preparers' writes before this): close the gaps.
        int to = 0;
        for (int slot2 = 0; slot2 < _size; slot2++)
        {
            if (!_kept[slot2]) continue;
            if (to != slot2) Place(slot2).CopyTo(Place(to));
            Indices.Add(_first + slot2);
            to++;
        }
        Skipped.Sort((x, y) => x.Index.CompareTo(y.Index));
        return true;
    }
}

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
    /// </summary>
    public async Task RunAsync(int preparers, ChannelReader<PreparedBatch<T>> free, ChannelWriter<PreparedBatch<T>> ready, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = Enumerable.Range(0, preparers).Select(_ => Task.Run(async () =>
        {
            try { await PrepareAsync(free, ready, stop.Token); }
            catch { stop.Cancel(); throw; } // one failing stops the others
        }, CancellationToken.None)).ToArray();
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
