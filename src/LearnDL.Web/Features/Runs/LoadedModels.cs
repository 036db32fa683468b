using LearnDL.Training.Runs;

namespace LearnDL.Web.Features.Runs;

/// <summary>
/// Runs' models kept loaded for the next picture: a learner trying five pictures loads the model once.
/// At most <c>capacity</c> are kept; the least recently used is let go, and disposed once the
/// classification using it (if any) is done. One classification at a time uses a model (it is not thread-safe).
/// </summary>
public sealed class LoadedModels(int capacity) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Entry> _recent = []; // most recent first
    private readonly Dictionary<Guid, LinkedListNode<Entry>> _byRun = [];

    /// <summary>How many times a model was loaded from its file (a test sees the second picture reuse the first's).</summary>
    public int Loads { get; private set; }

    public bool Contains(Guid runId)
    {
        lock (_lock) return _byRun.ContainsKey(runId);
    }

    /// <summary>Runs <paramref name="use"/> with the run's model, loading it with <paramref name="load"/> when it is not kept.</summary>
    public T Use<T>(Guid runId, Func<ImageClassifier> load, Func<ImageClassifier, T> use)
    {
        var entry = Rent(runId, load);
        try
        {
            lock (entry) return use(entry.Model);
        }
        finally
        {
            Return(entry);
        }
    }

    private Entry Rent(Guid runId, Func<ImageClassifier> load)
    {
        lock (_lock)
        {
            if (_byRun.TryGetValue(runId, out var node))
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
            }
            else
            {
                // Loaded under the lock: a head model loads in tens of milliseconds, and classifications take turns anyway.
                node = _recent.AddFirst(new Entry(runId, load()));
                _byRun[runId] = node;
                Loads++;
                while (_recent.Count > capacity) Evict(_recent.Last!);
            }
            node.Value.Users++;
            return node.Value;
        }
    }

    private void Return(Entry entry)
    {
        lock (_lock)
        {
            entry.Users--;
            if (entry.Evicted && entry.Users == 0) entry.Model.Dispose();
        }
    }

    private void Evict(LinkedListNode<Entry> node)
    {
        _recent.Remove(node);
        _byRun.Remove(node.Value.RunId);
        node.Value.Evicted = true;
        if (node.Value.Users == 0) node.Value.Model.Dispose();
    }

    public void Dispose()
    {
        lock (_lock)
            while (_recent.Last is { } last) Evict(last);
    }

    private sealed class Entry(Guid runId, ImageClassifier model)
    {
        public Guid RunId { get; } = runId;
        public ImageClassifier Model { get; } = model;
        public int Users;
        public bool Evicted;
    }
}
