namespace LearnDL.Training.Datasets;

/// <summary>One subfolder per class, the layout of the ML.NET and Keras samples; its pictures are decoded within <paramref name="limits"/>.</summary>
public sealed class FolderDataset(string path, SafeImageDecoder? limits = null) : IImageDataset
{
    public const string Prefix = "folder:";
    public static readonly IReadOnlySet<string> Extensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp" };

    /// <summary>The folder's full path, without a trailing separator: "x/", "x/." and "x" are one dataset.</summary>
    public string Root { get; } = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    public DatasetInfo Info
    {
        get
        {
            var title = Path.GetFileName(Root.TrimEnd(Path.DirectorySeparatorChar));
            var description = $"Your images: one subfolder per class under {Root}.";
            if (!Directory.Exists(Root))
                return new(Prefix + Root, title, description, false, $"The folder {Root} does not exist.", [], 0);
            var classes = ClassFolders();
            var count = classes.Sum(c => Files(c).Count());
            string? problem = classes.Count < 2 ? $"needs at least two class subfolders with images; found {classes.Count}."
                : null;
            return new(Prefix + Root, title, description, problem is null, problem is null ? null : $"{Root} {problem}",
                classes.Select(Path.GetFileName).ToList()!, count);
        }
    }

    public DatasetSelection Select(int count, int seed, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Root)) throw new DatasetException($"The folder {Root} does not exist.");
        var classes = ClassFolders();
        var files = classes.SelectMany((folder, classIndex) => Files(folder).Order(StringComparer.Ordinal).Select(f => (classIndex, f))).ToList();
        if (files.Count == 0)
            throw new DatasetException($"{Root} holds no images: put them in one subfolder per class (jpg, png, bmp, gif, webp).");
        if (classes.Count < 2)
            throw new DatasetException($"{Root} has only one class ({Path.GetFileName(classes[0])}): a classifier needs at least two class subfolders.");
        var picked = StratifiedSampler.Subset(files.Select(f => f.classIndex).ToArray(), count, seed);
        return new(classes.Select(c => Path.GetFileName(c)!).ToList(),
            picked.Select(i => (ImageSample)new FileImageSample(files[i].classIndex, files[i].f, limits)).ToList());
    }

    private List<string> ClassFolders() =>
        Directory.GetDirectories(Root).Where(d => Files(d).Any()).Order(StringComparer.Ordinal).ToList();

    private static IEnumerable<string> Files(string folder) =>
        Directory.EnumerateFiles(folder).Where(f => Extensions.Contains(Path.GetExtension(f)));
}
