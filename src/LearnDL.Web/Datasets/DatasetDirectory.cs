using System.Collections.Concurrent;
using LearnDL.Training.Datasets;

using SkiaSharp;

namespace LearnDL.Web.Datasets;

/// <summary>A small picture of one image of a dataset, with its class.</summary>
public sealed record Thumbnail(string Class, string Png);

/// <summary>
/// What the catalog says of each dataset, read from disk once and kept until a dataset changes
/// (a file watcher on the dataset folders, or <see cref="Invalidate"/> after an import), so pages
/// and the queue's checks never count files on a render. Kept under each dataset's canonical name
/// (<see cref="DatasetCatalog.CanonicalName"/>): "folder:x/", "folder:x/./." and a link to x are one
/// entry, so writing a name a new way does not grow the cache.
/// </summary>
public sealed class DatasetDirectory : IDisposable
{
    private readonly DatasetCatalog _catalog;
    // Ordinal: canonical names are lower case where case does not matter, and folder paths are case-sensitive.
    private readonly ConcurrentDictionary<string, DatasetInfo> _described = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<Thumbnail>>>> _thumbnails = new(StringComparer.Ordinal);
    private readonly List<FileSystemWatcher> _watchers = [];
    private const int ThumbnailSide = 48;
    private volatile IReadOnlyList<DatasetInfo>? _list;

    private readonly IReadOnlyList<string> _roots;

    public DatasetDirectory(DatasetCatalog catalog, DatasetOptions options)
    {
        _catalog = catalog;
        _roots = options.FolderRoots;
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
        var key = DatasetCatalog.CanonicalName(name);
        if (_described.TryGetValue(key, out var known)) return (known, null);
        if (FolderOutsideTheRoots(name) is { } outside) return (null, outside);
        try
        {
            var info = _catalog.Open(name).Info;
            if (!info.Available) return (info, info.UnavailableReason);
            // Only datasets that exist are kept: a stream of made-up names must not grow the cache.
            _described[key] = info;
            return (info, null);
        }
        catch (DatasetException e) { return (null, e.Message); }
    }

    /// <summary>
    /// Why a folder: name that leads outside the offered folders cannot be used, naming only those folders (the
    /// datasets page lists what is in them): never the path it resolved to, which would tell the server's working
    /// directory or anything else about its disk. Null for other names, and for folders inside the roots.
    /// </summary>
    private string? FolderOutsideTheRoots(string name)
    {
        name = name.Trim();
        if (!name.StartsWith(FolderDataset.Prefix, StringComparison.OrdinalIgnoreCase)) return null;
        var path = name[FolderDataset.Prefix.Length..];
        if (string.IsNullOrWhiteSpace(path)) return null; // the catalog says what a folder: name needs
        var offered = $"Folder datasets are the subfolders of {string.Join(", ", _roots)}, listed on the Datasets page (folder:NAME as shown there).";
        try { return _catalog.IsAllowed(Path.GetFullPath(path)) ? null : "That folder is not one this server offers. " + offered; }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return "That is not a folder name: it holds characters no folder name can have. " + offered;
        }
    }

    /// <summary>A few small pictures of each class (two per class, twelve at most), made once off the caller's thread.</summary>
    public Task<IReadOnlyList<Thumbnail>> ThumbnailsAsync(string name) =>
        _thumbnails.GetOrAdd(DatasetCatalog.CanonicalName(name), _ => new Lazy<Task<IReadOnlyList<Thumbnail>>>(() => Task.Run(() => MakeThumbnails(name.Trim())))).Value;

    private IReadOnlyList<Thumbnail> MakeThumbnails(string name)
    {
        try
        {
            var dataset = _catalog.Open(name);
            var classes = dataset.Info.ClassNames;
            var selection = dataset.Select(Math.Min(Math.Min(2 * classes.Count, 12), Math.Max(dataset.Info.ImageCount, 1)), seed: 1);
            return selection.Samples.OrderBy(s => s.ClassIndex).Select(s =>
            {
                // Decoded no larger than a thumbnail needs where the codec can scale (JPEG, WebP); pixel bombs are left out.
                var (decoded, _) = s.Read(ThumbnailSide);
                using var image = decoded;
                if (image is null) return null;
                using var small = image.Resize(new SKImageInfo(ThumbnailSide, ThumbnailSide), SKFilterQuality.Medium);
                using var png = (small ?? image).Encode(SKEncodedImageFormat.Png, 100);
                return new Thumbnail(selection.ClassNames[s.ClassIndex], Convert.ToBase64String(png.ToArray()));
            }).OfType<Thumbnail>().ToList();
        }
        catch (Exception e) when (e is DatasetException or IOException or InvalidDataException) { return []; }
    }

    public void Invalidate()
    {
        _list = null;
        _described.Clear();
        _thumbnails.Clear();
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers) watcher.Dispose();
    }
}
