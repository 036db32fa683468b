using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace LearnDL.Workers;

/// <summary>
/// Uploaded datasets on their way to the workers: the web app stores a folder once in the database,
/// addressed by the SHA-256 of its content (every file's class folder, name and bytes); a worker fetches
/// it once, checks the hash after unpacking, and keeps it in its cache for the next runs.
/// </summary>
public sealed class DatasetExchange(JobsDatabase database)
{
    /// <summary>How a run names a dataset that travels by content: sha256:HEX.</summary>
    public const string Prefix = "sha256:";

    /// <summary>Stores a dataset folder (one subfolder per class) unless the same content is there already; returns its portable name.</summary>
    public async Task<string> ShipAsync(string folder, string title, CancellationToken cancellationToken = default)
    {
        var files = FilesOf(folder);
        var hash = HashOf(folder, files);
        await using (var exists = database.Source.CreateCommand("SELECT EXISTS (SELECT 1 FROM learndl.datasets WHERE hash = @hash)"))
        {
            exists.Parameters.AddWithValue("hash", hash);
            if (await exists.ExecuteScalarAsync(cancellationToken) is true) return Prefix + hash;
        }
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var file in files)
            {
                // Pictures are compressed already: storing them is as small and much faster.
                var entry = archive.CreateEntry(file, CompressionLevel.NoCompression);
                await using var target = entry.Open();
                await using var source = File.OpenRead(Path.Combine(folder, file));
                await source.CopyToAsync(target, cancellationToken);
            }
        await using var insert = database.Source.CreateCommand("""
            INSERT INTO learndl.datasets (hash, title, content, bytes, stored_at) VALUES (@hash, @title, @content, @bytes, now()) ON CONFLICT (hash) DO NOTHING
            """);
        insert.Parameters.AddWithValue("hash", hash);
        insert.Parameters.AddWithValue("title", title);
        insert.Parameters.Add(new NpgsqlParameter("content", NpgsqlTypes.NpgsqlDbType.Bytea) { Value = zip.ToArray() });
        insert.Parameters.AddWithValue("bytes", zip.Length);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return Prefix + hash;
    }

    /// <summary>The folder of a dataset named sha256:HEX in this worker's cache, fetched and verified the first time.</summary>
    public async Task<string> FetchAsync(string name, string cacheFolder, CancellationToken cancellationToken = default)
    {
        var hash = name[Prefix.Length..];
        if (hash.Length != 64 || !hash.All(Uri.IsHexDigit)) throw new ArgumentException($"'{name}' is not a dataset's content address.");
        var folder = Path.Combine(cacheFolder, hash);
        if (Directory.Exists(folder)) return folder;

        await using var command = database.Source.CreateCommand("SELECT content FROM learndl.datasets WHERE hash = @hash");
        command.Parameters.AddWithValue("hash", hash);
        var content = await command.ExecuteScalarAsync(cancellationToken) as byte[]
            ?? throw new InvalidDataException($"The uploaded dataset {hash[..12]} is not in the jobs database any more.");
        var staging = Path.Combine(cacheFolder, $".{hash}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            using (var archive = new ZipArchive(new MemoryStream(content), ZipArchiveMode.Read))
                foreach (var entry in archive.Entries)
                {
                    var target = Path.GetFullPath(Path.Combine(staging, entry.FullName));
                    // Written by the web app, but still: nothing lands outside the staging folder.
                    if (!target.StartsWith(staging + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                        throw new InvalidDataException($"The dataset {hash[..12]} names a file outside its folder.");
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    entry.ExtractToFile(target);
                }
            var unpacked = HashOf(staging, FilesOf(staging));
            if (unpacked != hash)
                throw new InvalidDataException($"The dataset {hash[..12]} arrived damaged: its content hashes to {unpacked[..12]}.");
            try { Directory.Move(staging, folder); }
            catch (IOException) when (Directory.Exists(folder)) { } // another run on this worker fetched it at the same time
            return folder;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The class folders' files, as relative paths with '/' in ordinal order: the same on every machine.</summary>
    private static List<string> FilesOf(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => f.Contains('/'))
            .Order(StringComparer.Ordinal).ToList();

    private static string HashOf(string folder, IEnumerable<string> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            var path = Path.Combine(folder, file);
            sha.AppendData(Encoding.UTF8.GetBytes($"{file}\n{new FileInfo(path).Length}\n"));
            using var stream = File.OpenRead(path);
            var buffer = new byte[81920];
            for (int read; (read = stream.Read(buffer)) > 0;) sha.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
