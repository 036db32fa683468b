using System.IO.Compression;
using System.Text.RegularExpressions;
using LearnDL.Training.Datasets;
using SkiaSharp;

namespace LearnDL.Web.Datasets;

/// <summary>
/// Caps on one import, checked while unpacking: bytes unpacked (all, and against the zip's size and each entry's
/// packed size), pixels decoded to downscale pictures, and bytes stored (the room left in the quotas).
/// </summary>
public sealed record ImportLimits(long MaxUnpackedBytes, int MaxEntries, double MaxCompressionRatio, string UnpackedLimitName = "MaxUnpackedBytes",
    long MaxImagePixels = SafeImageDecoder.DefaultMaxPixels, double MaxArchiveCompressionRatio = ImportLimits.DefaultArchiveRatio,
    long MaxDecodedPixels = ImportLimits.DefaultDecodedPixels, long MaxStoredBytes = long.MaxValue, string StoredLimitName = "the quota")
{
    public const double DefaultArchiveRatio = 20;
    public const long DefaultDecodedPixels = 500_000_000;
}

/// <summary>
/// What a zip unpacked to: its classes, images kept, files skipped (all of them), bytes written, and
/// why each skipped picture was refused ("red/big.png declares 30,000 x 30,000 pixels...").
/// </summary>
public sealed record UnpackedDataset(IReadOnlyList<string> Classes, int Images, int Skipped, long Bytes, IReadOnlyList<string> Refused, int Downscaled = 0)
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
/// while unpacking, never trusted from the headers: the whole zip may unpack to at most
/// <see cref="ImportLimits.MaxArchiveCompressionRatio"/> times its size, and every entry, small or large,
/// to at most <see cref="ImportLimits.MaxCompressionRatio"/> times its packed size, so a zip bomb stops at the
/// first byte over a cap. Files are written under generated names; files that are not images are skipped and
/// counted, and so are pictures whose header declares more pixels or a stranger shape than <see cref="SafeImageDecoder"/>
/// reads (pixel bombs). Pictures larger than a run uses (<see cref="StoredShortSide"/> on the shorter side,
/// <see cref="StoredLongSide"/> on the longer) are stored downscaled, re-encoded (JPEG from JPEG and WebP,
/// else PNG), so what is kept, and what a run decodes, is small whatever was sent. The rest of the zip is
/// imported, and it is refused only when what is left is not a dataset.
/// </summary>
public static partial class ZipImporter
{
    private const int MaxClassName = 60;
    /// <summary>The network sees 224 x 224 of a picture's centre: a little margin above that is all a run can use.</summary>
    public const int StoredShortSide = 256;
    /// <summary>Panoramas keep their shape up to 4:1 at full short side; the network's square crop ignores the rest.</summary>
    public const int StoredLongSide = 4 * StoredShortSide;
    private const int JpegQuality = 90;
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
            var zipBytes = Math.Max(new FileInfo(zipPath).Length, 1);
            var sizes = new ImportSizes(limits, zipBytes);
            int skipped = 0, downscaled = 0;
            var refused = new List<string>();
            var pictures = new SafeImageDecoder(limits.MaxImagePixels);
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            var unpacked = Path.Combine(staging, ".entry");
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
                Unpack(entry, unpacked, sizes);
                var (stored, problem) = Store(unpacked, Path.Combine(folder, $"{index:D5}"), Path.GetExtension(relative[1]), pictures, sizes);
                File.Delete(unpacked); // unless it was kept as it came
                if (stored is null)
                {
                    skipped++;
                    if (problem != SafeImageDecoder.NotAPicture) refused.Add($"{Shown(entry.FullName)} {problem}");
                    continue;
                }
                if (stored.Value) downscaled++;
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
            return new(classes, counts.Values.Sum(), skipped, sizes.Stored, refused, downscaled);
        }
    }

    /// <summary>What one import has unpacked, decoded and stored so far, held to its limits.</summary>
    private sealed class ImportSizes(ImportLimits limits, long zipBytes)
    {
        public long Unpacked;
        public long Decoded;
        public long Stored;

        public void AddUnpacked(long bytes, ZipArchiveEntry entry, long entryBytes)
        {
            Unpacked += bytes;
            if (Unpacked > limits.MaxUnpackedBytes)
                throw new ImportRefusedException($"it unpacks to more than {Sizes.Megabytes(limits.MaxUnpackedBytes)} ({limits.UnpackedLimitName}).");
            if (Unpacked > limits.MaxArchiveCompressionRatio * zipBytes)
                throw new ImportRefusedException($"the zip unpacks to more than {limits.MaxArchiveCompressionRatio:0} times its own size, as a zip bomb does " +
                    "(MaxArchiveCompressionRatio). If it holds real pictures, save them as PNG or JPEG and zip them again.");
            // Every entry, however small: 500 flat 1 MB BMPs packed to 1 KB each are a bomb made of small entries.
            if (entryBytes > limits.MaxCompressionRatio * Math.Max(entry.CompressedLength, 1))
                throw new ImportRefusedException($"{Shown(entry.Name)} unpacks to more than {limits.MaxCompressionRatio:0} times its packed size, as a zip bomb does " +
                    "(MaxCompressionRatio). If it is a real picture, save it as PNG or JPEG and zip it again.");
        }

        public void AddDecoded(long pixels)
        {
            Decoded += pixels;
            if (Decoded > limits.MaxDecodedPixels)
                throw new ImportRefusedException($"its pictures are larger than the server decodes for one upload: more than {limits.MaxDecodedPixels / 1e6:#,0} megapixels " +
                    $"together (MaxDecodedMegapixels). Runs use {StoredShortSide} pixels on a picture's shorter side: shrink them, or upload fewer at a time.");
        }

        public void AddStored(long bytes)
        {
            Stored += bytes;
            if (Stored > limits.MaxStoredBytes)
                throw new ImportRefusedException($"its pictures, even downscaled, take more than the {Sizes.Megabytes(Math.Max(limits.MaxStoredBytes, 0))} left in {limits.StoredLimitName}.");
        }
    }

    /// <summary>Copies one entry, counting what is actually written against the caps.</summary>
    private static void Unpack(ZipArchiveEntry entry, string target, ImportSizes sizes)
    {
        using var input = entry.Open();
        using var output = new FileStream(target, FileMode.Create, FileAccess.Write);
        var buffer = new byte[81920];
        long written = 0;
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            written += read;
            sizes.AddUnpacked(read, entry, written);
            output.Write(buffer, 0, read);
        }
    }

    /// <summary>
    /// Keeps an unpacked picture as <paramref name="target"/> (without extension): as it came when it is no larger than a
    /// run uses, else decoded at a reduced size and re-encoded. True when downscaled, false when not; null and why when skipped.
    /// </summary>
    private static (bool? Downscaled, string? Problem) Store(string unpacked, string target, string extension, SafeImageDecoder pictures, ImportSizes sizes)
    {
        var (decoded, declared, lossy, problem) = pictures.Measure(unpacked, StoredShortSide);
        if (problem is not null) return (null, problem);
        // Small pictures are kept as they came, unless the file is far larger than its pixels (padding, huge metadata).
        if (Math.Min(declared.Width, declared.Height) <= StoredShortSide && Math.Max(declared.Width, declared.Height) <= StoredLongSide
            && new FileInfo(unpacked).Length <= 4L * declared.Width * declared.Height + 64 * 1024)
        {
            var kept = target + extension.ToLowerInvariant();
            File.Move(unpacked, kept);
            sizes.AddStored(new FileInfo(kept).Length);
            return (false, null);
        }
        sizes.AddDecoded((long)decoded.Width * decoded.Height);
        var (bitmap, refusal) = pictures.Decode(unpacked, StoredShortSide);
        if (bitmap is null) return (null, refusal);
        using (bitmap)
        {
            var scale = Math.Min((double)StoredShortSide / Math.Min(bitmap.Width, bitmap.Height), (double)StoredLongSide / Math.Max(bitmap.Width, bitmap.Height));
            using var small = scale < 1 ? bitmap.Resize(new SKImageInfo(Math.Max(1, (int)Math.Round(bitmap.Width * scale)), Math.Max(1, (int)Math.Round(bitmap.Height * scale)),
                SKColorType.Rgba8888, bitmap.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Premul), SKFilterQuality.Medium) : null;
            var picture = small ?? bitmap;
            // Photos stay JPEG (at a quality no one tells from the original at this size); drawings and transparency stay lossless.
            var jpeg = lossy && picture.AlphaType == SKAlphaType.Opaque;
            using var data = picture.Encode(jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, jpeg ? JpegQuality : 100);
            if (data is null) return (null, "is damaged: its picture data does not decode.");
            var path = target + (jpeg ? ".jpg" : ".png");
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write)) data.SaveTo(file);
            sizes.AddStored(data.Size);
            return (small is not null, null);
        }
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
