namespace LearnDL.Training.Datasets;

/// <summary>
/// Where a path really leads, every symbolic link along it followed (like realpath(3)), so that
/// "is this under an allowed folder?" cannot be fooled by a link in the middle of the path.
/// </summary>
public static class RealPath
{
    private const int MaxLinks = 40;

    public static string Of(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var resolved = root;
        var parts = new Queue<string>(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        int links = 0;
        while (parts.Count > 0)
        {
            var next = Path.Combine(resolved, parts.Dequeue());
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++links > MaxLinks) throw new IOException($"Too many symbolic links in {path}.");
                // The rest of the path continues from wherever the link points.
                var targetFull = Path.GetFullPath(target, resolved);
                var rest = parts.ToList();
                parts = new Queue<string>(targetFull[Path.GetPathRoot(targetFull)!.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                resolved = Path.GetPathRoot(targetFull)!;
            }
            else resolved = next;
        }
        return resolved;
    }

    public static bool IsUnder(string path, string root) =>
        path.Equals(root, StringComparison.Ordinal) ||
        path.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
