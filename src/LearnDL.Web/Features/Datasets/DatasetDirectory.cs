using System.Collections.Concurrent;
using LearnDL.Training.Datasets;

namespace LearnDL.Web.Features.Datasets;

/// <summary>
/// What the catalog says of each dataset, read from disk once and kept until a dataset changes
/// (a file watcher on the dataset folders, or <see cref="Invalidate"/> after an import), so pages
/// and the queue's checks never count files on a render.
/// </summary>
public sealed class DatasetDirectory : IDisposable
{
    private readonly DatasetCatalog _catalog;
    private readonly ConcurrentDictionary<string, DatasetInfo> _described = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<FileSystemWatcher> _watchers = [];
    private volatile IReadOnlyList<DatasetInfo>? _list;

    public DatasetDirectory(DatasetCatalog catalog, DatasetOptions options)
    {
        _catalog = catalog;
        foreach (var folder in options.FolderRoots.Append(options.FashionMnistFolder).Where(Directory.Exists).Distinct())
        {
            try
            {
                var watcher = new FileSystemWatcher(folder) { IncludeSubdirectories = true, EnableRaisingEvents = true };
                watcher.Created += (_, _) => Invalidate();
                watcher.Deleted += (_, _) => Invalidate();
                watcher.Renamed += (_, _) => Invalidate();
                watcher.Changed += (_, _) => Invalidate();
                _watchers.Add(watcher);
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
            {
                // Too many inotify watches, say: the list then refreshes only on Invalidate.
            }
        }
    }

    public IReadOnlyList<DatasetInfo> List() => _list ??= _catalog.List();

    /// <summary>A dataset by name, or the reason it cannot be used (unknown, not installed, outside the allowed folders).</summary>
    public (DatasetInfo? Info, string? Problem) Describe(string name)
    {
        name = name.Trim();
        if (_described.TryGetValue(name, out var known)) return (known, null);
        try
        {
            var info = _catalog.Open(name).Info;
            if (!info.Available) return (info, info.UnavailableReason);
            // Only datasets that exist are kept: a stream of made-up names must not grow the cache.
            _described[name] = info;
            return (info, null);
        }
        catch (DatasetException e) { return (null, e.Message); }
    }

    public void Invalidate()
    {
        _list = null;
        _described.Clear();
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers) watcher.Dispose();
    }
}
