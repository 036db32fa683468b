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
        for (int place = 0; place < _size; place++)
        {
            if (!_kept[place]) continue;
            if (to != place) Place(place).CopyTo(Place(to));
            Indices.Add(_first + place);
            to++;
        }
        Skipped.Sort((x, y) => x.Index.CompareTo(y.Index));
        return true;
    }
}
