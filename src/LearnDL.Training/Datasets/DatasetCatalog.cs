namespace LearnDL.Training.Datasets;

/// <summary>Where datasets live. Bound from configuration section "LearnDL".</summary>
public sealed class DatasetOptions
{
    /// <summary>Generated images, caches and other files the engine writes.</summary>
    public string DataFolder { get; set; } = DefaultDataFolder;
    public string FashionMnistFolder { get; set; } = "/usr/share/datasets/fashion-mnist";
    /// <summary>
    /// Folders that folder datasets must lie under; their subfolders are listed as datasets.
    /// Empty means any folder may be named (the CLI, where the user owns the machine).
    /// </summary>
    public List<string> FolderRoots { get; set; } = [];
    /// <summary>More folders that datasets may lie under but that <see cref="DatasetCatalog.List"/> does not list (uploads).</summary>
    public List<string> UnlistedRoots { get; set; } = [];
    /// <summary>Pictures that declare more pixels are not decoded: skipped and counted (see <see cref="SafeImageDecoder"/>).</summary>
    public long MaxImagePixels { get; set; } = SafeImageDecoder.DefaultMaxPixels;

    public static string DefaultDataFolder =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "learndl");
}

/// <summary>Names, opens and lists the datasets: builtin, fashion-mnist, folder:PATH.</summary>
public sealed class DatasetCatalog(DatasetOptions options)
{
    public IReadOnlyList<DatasetInfo> List()
    {
        var list = new List<DatasetInfo> { Builtin.Info, FashionMnist.Info };
        foreach (var root in options.FolderRoots.Where(Directory.Exists))
            list.AddRange(Directory.GetDirectories(root).Order(StringComparer.Ordinal).Select(d => new FolderDataset(d, Limits).Info));
        return list;
    }

    /// <summary>Opens a dataset by name, or throws <see cref="DatasetException"/> saying why not.</summary>
    public IImageDataset Open(string name)
    {
        name = name.Trim();
        if (name.Equals(BuiltinDataset.Name, StringComparison.OrdinalIgnoreCase)) return Builtin;
        if (name.Equals(FashionMnistDataset.Name, StringComparison.OrdinalIgnoreCase))
        {
            var dataset = FashionMnist;
            var info = dataset.Info;
            if (!info.Available) throw new DatasetException(info.UnavailableReason!);
            return dataset;
        }
        if (name.StartsWith(FolderDataset.Prefix, StringComparison.OrdinalIgnoreCase))
        {
            var path = name[FolderDataset.Prefix.Length..];
            if (string.IsNullOrWhiteSpace(path)) throw new DatasetException("folder: needs a path, e.g. folder:/data/flowers.");
            var folder = new FolderDataset(path, Limits);
            if (!IsAllowed(folder.Root))
                throw new DatasetException($"{folder.Root} is outside the allowed dataset folders ({string.Join(", ", options.FolderRoots)}).");
            return folder;
        }
        throw new DatasetException($"Unknown dataset '{name}'. Use builtin, fashion-mnist or folder:PATH.");
    }

    /// <summary>
    /// One name for every way of writing a dataset's name: folder datasets by the real path they lead
    /// to (links followed, "." and trailing separators gone), the others in lower case. For caches.
    /// </summary>
    public static string CanonicalName(string name)
    {
        name = name.Trim();
        if (!name.StartsWith(FolderDataset.Prefix, StringComparison.OrdinalIgnoreCase)) return name.ToLowerInvariant();
        var path = name[FolderDataset.Prefix.Length..];
        if (string.IsNullOrWhiteSpace(path)) return FolderDataset.Prefix;
        try { return FolderDataset.Prefix + RealPath.Of(path); }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { return name; } // Open will say what is wrong
    }

    private SafeImageDecoder Limits => new(options.MaxImagePixels);
    /// <summary>Where generated pictures are kept: the built-in tiles, the benchmark's photos.</summary>
    public string GeneratedFolder => Path.Combine(options.DataFolder, "datasets");

    /// <summary>Where LearnDL keeps what it derives (datasets it draws, the INT8 network).</summary>
    public string DataFolder => options.DataFolder;

    private BuiltinDataset Builtin => new(GeneratedFolder);
    private FashionMnistDataset FashionMnist => new(options.FashionMnistFolder);

    /// <summary>Whether a folder (a full path) lies under one of the allowed roots, links followed; any folder when none are set.</summary>
    public bool IsAllowed(string fullPath)
    {
        var roots = options.FolderRoots.Concat(options.UnlistedRoots).ToList();
        if (roots.Count == 0) return true;
        // Links are resolved at every level, so no link anywhere inside a root can lead outside it.
        var real = RealPath.Of(fullPath);
        return roots.Select(r => RealPath.Of(Path.GetFullPath(r))).Any(root => RealPath.IsUnder(real, root));
    }
}
