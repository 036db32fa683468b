using System.IO.Compression;
using System.Text.RegularExpressions;
using LearnDL.Training.Datasets;

namespace LearnDL.Web.Datasets;

/// <summary>Caps on one import, checked while unpacking.</summary>
public sealed record ImportLimits(long MaxUnpackedBytes, int MaxEntries, double MaxCompressionRatio, string UnpackedLimitName = "MaxUnpackedBytes",
    long MaxImagePixels = SafeImageDecoder.DefaultMaxPixels);

/// <summary>
/// What a zip unpacked to: its classes, images kept, files skipped (all of them), bytes written, and
/// why each skipped picture was refused ("red/big.png declares 30,000 x 30,000 pixels...").
/// </summary>
public sealed record UnpackedDataset(IReadOnlyList<string> Classes, int Images, int Skipped, long Bytes, IReadOnlyList<string> Refused)
{
    /// <summary>What was skipped, for the uploader: "3 files were skipped: 1 was not a picture in a class folder; 2 pictures were refused: ...".</summary>
    public string SkippedSummary => ZipImporter.Skips(Skipped, Refused);
}

/// <summary>The import was refused: the message says why, in the uploader's words.</summary>
public sealed class ImportRefusedException(string reason) : Exception(reason);

/// <summary>
/// Unpacks a zip of one folder per class (optionally inside one top folder) into a staging folder.
/// Every entry's name is checked before anything is written: no "..", no absolute paths or drive
/// letters, no backslashes, no symbolic links, no archives inside the archive. Sizes are counted
/// while unpacking, never trusted from the headers, so a zip bomb stops at the first byte over a cap.
/// Files are written under generated names; files that are not images are skipped and counted, and
/// so are pictures whose header declares more pixels or a stranger shape than <see cref="SafeImageDecoder"/>
/// reads (pixel bombs): the rest of the zip is imported, and it is refused only when what is left is
/// not a dataset. Only headers are read here; a picture cut short is skipped when a run decodes it.
/// </summary>
public static partial class ZipImporter
{
    private const int MaxClassName = 60;
    private const long RatioCheckFrom = 1024 * 1024; // below this, any ratio is harmless (a tiny flat-colour BMP compresses well)
    private static readonly HashSet<string> Archives = new(StringComparer.OrdinalIgnoreCase)
        { ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst", ".jar", ".cab", ".iso" };

    /// <summary>Unpacks into <paramref name="staging"/> (which must not exist) or throws <see cref="ImportRefusedException"/>.</summary>
    public static UnpackedDataset Extract(string zipPath, string staging, ImportLimits limits, CancellationToken cancellationToken)
    {
        ZipArchive archive;
        try { archive = ZipFile.OpenRead(zipPath); }
        catch (InvalidDataException) { throw new ImportRefusedException("the file is not a zip archive (or it is damaged)."); }
        using (archive)
        {
            var entries = archive.Entries;
            if (entries.Count > limits.MaxEntries)
                throw new ImportRefusedException($"it has {entries.Count:N0} entries; at most {limits.MaxEntries:N0} are accepted (MaxEntries).");
            var files = entries.Select(e => (Entry: e, Parts: CheckName(e))).Where(f => !f.Entry.FullName.EndsWith('/')).ToList();

            // One folder per class, perhaps all inside one top folder (what zipping a folder gives).
            var strip = files.Count > 0 && files.All(f => f.Parts.Length >= 3) && files.Select(f => f.Parts[0]).Distinct().Count() == 1 ? 1 : 0;
            Directory.CreateDirectory(staging);
            long total = 0;
            int skipped = 0;
            var refused = new List<string>();
            var pictures = new SafeImageDecoder(limits.MaxImagePixels);
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (entry, parts) in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var relative = parts[strip..];
                if (relative.Length != 2 || !FolderDataset.Extensions.Contains(Path.GetExtension(relative[1])))
                {
                    skipped++; // a stray file at the top, a deeper folder, a text file: not an image of a class
                    continue;
                }
                var className = CheckClassName(relative[0]);
                var folder = Path.Combine(staging, className);
                Directory.CreateDirectory(folder);
                var index = counts.GetValueOrDefault(className);
                var target = Path.Combine(folder, $"{index:D5}{Path.GetExtension(relative[1]).ToLowerInvariant()}");
                total += Unpack(entry, target, total, limits);
                if (pictures.Check(target) is { } problem)
                {
                    File.Delete(target);
                    skipped++;
                    if (problem != SafeImageDecoder.NotAPicture) refused.Add($"{Shown(entry.FullName)} {problem}");
                    continue;
                }
                counts[className] = index + 1;
            }

            var classes = counts.Where(c => c.Value > 0).Select(c => c.Key).Order(StringComparer.Ordinal).ToList();
            if (classes.Count < 2)
                throw new ImportRefusedException($"a classifier needs at least two classes (one folder each, with images); this zip has {classes.Count}." +
                    (skipped > 0 ? " " + Skips(skipped, refused) : ""));
            var small = counts.Where(c => c.Value is > 0 and < 2).Select(c => c.Key).ToList();
            if (small.Count > 0)
                throw new ImportRefusedException($"every class needs at least two images (one to train on, one to test); {string.Join(", ", small)} has only one." +
                    (refused.Count > 0 ? " " + Skips(skipped, refused) : ""));
            return new(classes, counts.Values.Sum(), skipped, total, refused);
        }
    }

    /// <summary>Copies one entry, counting what is actually written against the caps.</summary>
    private static long Unpack(ZipArchiveEntry entry, string target, long sofar, ImportLimits limits)
    {
        using var input = entry.Open();
        using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
        var buffer = new byte[81920];
        long written = 0;
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            written += read;
            if (sofar + written > limits.MaxUnpackedBytes)
                throw new ImportRefusedException($"it unpacks to more than {Sizes.Megabytes(limits.MaxUnpackedBytes)} ({limits.UnpackedLimitName}).");
            if (written > RatioCheckFrom && written > limits.MaxCompressionRatio * Math.Max(entry.CompressedLength, 1))
                throw new ImportRefusedException($"{entry.Name} unpacks to more than {limits.MaxCompressionRatio:0} times its packed size, as a zip bomb does (MaxCompressionRatio).");
            output.Write(buffer, 0, read);
        }
        return written;
    }

    /// <summary>The entry's path parts, or a refusal when the name could write outside the target.</summary>
    private static string[] CheckName(ZipArchiveEntry entry)
    {
        var name = entry.FullName;
        if (name.Contains('\\')) throw new ImportRefusedException($"the entry \"{Shown(name)}\" uses backslashes in its path.");
        if (name.StartsWith('/') || DriveLetter().IsMatch(name)) throw new ImportRefusedException($"the entry \"{Shown(name)}\" has an absolute path.");
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Any(p => p is ".." or ".")) throw new ImportRefusedException($"the entry \"{Shown(name)}\" tries to leave its folder (..).");
        if (name.Any(char.IsControl)) throw new ImportRefusedException("an entry's name has control characters.");
        // Unix mode in the high 16 bits of the external attributes: S_IFLNK entries would be links on extraction.
        if (((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000) throw new ImportRefusedException($"the entry \"{Shown(name)}\" is a symbolic link.");
        if (Archives.Contains(Path.GetExtension(name))) throw new ImportRefusedException($"it contains another archive (\"{Shown(name)}\"); unpack it first, then zip the folders.");
        return parts;
    }

    private static string CheckClassName(string name) =>
        name.Length <= MaxClassName && ClassName().IsMatch(name)
            ? name
            : throw new ImportRefusedException($"the class folder \"{Shown(name)}\" has a name LearnDL cannot use (letters, digits, spaces, . - _, at most {MaxClassName} characters).");

    /// <summary>Skipped files in words; the first few refusals are quoted, so the uploader knows which pictures to fix.</summary>
    internal static string Skips(int skipped, IReadOnlyList<string> refused)
    {
        if (skipped == 0) return "";
        var others = skipped - refused.Count;
        var parts = new List<string>();
        if (others > 0) parts.Add(others == 1 ? "1 was not a picture in a class folder" : $"{others} were not pictures in a class folder");
        if (refused.Count > 0)
            parts.Add((refused.Count == 1 ? "1 picture was refused: " : $"{refused.Count} pictures were refused: ") +
                string.Join(" ", refused.Take(3)) + (refused.Count > 3 ? $" (and {refused.Count - 3} more)" : ""));
        var text = $"{skipped} {(skipped == 1 ? "file was" : "files were")} skipped: {string.Join("; ", parts)}";
        return text.EndsWith('.') ? text : text + ".";
    }

    private static string Shown(string name) => name.Length > 80 ? name[..80] + "..." : name;

    [GeneratedRegex(@"^[A-Za-z]:")]
    private static partial Regex DriveLetter();

    [GeneratedRegex(@"^(?!\.)[\p{L}\p{M}\p{N} ._-]+$")]
    private static partial Regex ClassName();
}
