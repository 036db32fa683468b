using LearnDL.Training.Datasets;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Datasets;

/// <summary>How an upload went: the text begins with "Imported" or "Refused" and says why.</summary>
public sealed record ImportOutcome(bool Accepted, string Message, UploadedDatasetRecord? Dataset);

/// <summary>
/// Datasets brought to the server as zips: imported safely (see <see cref="ZipImporter"/>), kept
/// under the data folder in folders named by a generated id, listed with their owners. The
/// instructor's (and, in personal mode, the user's) are for everyone; a student's only for them
/// (the rules are <see cref="Access"/>'s). A refused or failed import leaves nothing behind: no
/// folder, no file, no row. Quotas count what is stored (pictures downscaled to what a run uses): per
/// person, per network address across the names used from it, and for all students together, short of
/// a reserve kept for the instructor, whose uploads no student's can block. Imports in progress reserve
/// the most they may store, so parallel ones cannot overrun a quota together.
/// </summary>
public sealed class UploadedDatasets(
    IDbContextFactory<LearnDbContext> factory, IOptions<LearnDLOptions> options, StudentRegistry names, IAuthorizationService authorization, TimeProvider time)
{
    public const string Prefix = "upload:";
    private readonly Lock _lock = new();
    private readonly List<Reservation> _reserved = [];

    /// <summary>Room set aside by an import in progress, counted against its owner's, its address's and the server's quotas.</summary>
    private sealed record Reservation(string OwnerId, string Address, bool Instructor, long Bytes);

    /// <summary>Bytes stored now: the owner's, their address's (students only), everyone's.</summary>
    private readonly record struct Usage(long Mine, long Address, long All);

    private LearnDLOptions Options => options.Value;
    private string Root => Options.UploadsFolder;

    public static bool IsUploadName(string dataset) => dataset.Trim().StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    public string FolderOf(UploadedDatasetRecord dataset) => Path.Combine(Root, dataset.Id.ToString("N"));

    public async Task<List<UploadedDatasetRecord>> VisibleToAsync(RunOwner? owner)
    {
        if (owner is null) return [];
        await using var db = await factory.CreateDbContextAsync();
        var visible = new List<UploadedDatasetRecord>();
        // A class has tens of uploads: each is put to the rules rather than the rules copied into a query.
        foreach (var upload in await db.UploadedDatasets.AsNoTracking().ToListAsync())
            if (await authorization.AllowsAsync(owner, upload, Access.See)) visible.Add(upload);
        return visible.OrderBy(d => d.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>
    /// Whether a dataset name leads into the uploads folder: uploads are used by their name ("upload:NAME"),
    /// which the rules check, never by their folder.
    /// </summary>
    public bool IsInUploadsFolder(DatasetInfo info) =>
        info.Name.StartsWith(FolderDataset.Prefix, StringComparison.OrdinalIgnoreCase)
        && RealPath.IsUnder(RealPath.Of(info.Name[FolderDataset.Prefix.Length..]), RealPath.Of(Root));

    /// <summary>An upload by its dataset name ("upload:NAME"), as the engine will open it, or why it cannot be used.</summary>
    public async Task<(DatasetInfo? Info, string? Problem)> DescribeAsync(string dataset, RunOwner? owner)
    {
        var name = dataset.Trim()[Prefix.Length..].Trim();
        var record = (await VisibleToAsync(owner)).FirstOrDefault(d => d.NormalizedName == StudentRegistry.Normalize(name));
        // Someone else's private upload is answered like a name that does not exist.
        if (record is null) return (null, $"Unknown dataset '{dataset.Trim()}'. Use builtin, fashion-mnist, a folder dataset, or one of the uploaded datasets on /datasets.");
        if (!Directory.Exists(FolderOf(record))) return (null, $"The files of {record.Name} are gone from the server; delete it and upload it again.");
        return (Info(record), null);
    }

    /// <summary>The upload as the engine opens it: its folder.</summary>
    public DatasetInfo Info(UploadedDatasetRecord d) => Describe(d, FolderDataset.Prefix + FolderOf(d));

    /// <summary>The upload as lists and the launcher name it: "upload:NAME".</summary>
    public DatasetInfo ListInfo(UploadedDatasetRecord d) => Describe(d, Prefix + d.Name);

    private static DatasetInfo Describe(UploadedDatasetRecord d, string name) =>
        new(name, d.Name, $"Uploaded on {d.CreatedAt:yyyy-MM-dd}{(d.ForClass ? ", for the whole class" : "")}.", true, null, d.Classes.Split('\n'), d.Images);

    /// <summary>
    /// Imports a zip streamed from the uploader; never holds it in memory whole. <paramref name="address"/> is the
    /// uploader's network address (<see cref="ClientAddress"/>), whose quota the upload counts against.
    /// </summary>
    public async Task<ImportOutcome> ImportAsync(Stream zip, long length, string? rawName, RunOwner owner, string? address = null, CancellationToken cancellationToken = default)
    {
        address ??= ClientAddress.Unknown;
        var uploads = Options.Uploads;
        if (Options.Class.IsOn && owner.Role == OwnerRole.Learner) return Refused("choose your name first.");
        try { owner = await names.InClassAsync(owner); } // a tab left open by a student no longer in the class
        catch (NotInClassException e) { return Refused(e.Message); }
        var (name, problem) = names.Clean(rawName, whenEmpty: "give the dataset a name.");
        if (name is null) return Refused(problem!);
        if (name.Equals(BuiltinDataset.Name, StringComparison.OrdinalIgnoreCase) || name.Equals(FashionMnistDataset.Name, StringComparison.OrdinalIgnoreCase))
            return Refused($"{name} is the name of a built-in dataset.");
        if (length > uploads.MaxZipBytes) return Refused($"the zip is {Sizes.Megabytes(length)}; at most {Sizes.Megabytes(uploads.MaxZipBytes)} can be uploaded (MaxZipBytes).");

        await using (var db = await factory.CreateDbContextAsync())
        {
            if (await db.UploadedDatasets.AnyAsync(d => d.NormalizedName == StudentRegistry.Normalize(name), cancellationToken))
                return Refused($"a dataset called {name} already exists. Choose another name.");
        }
        Directory.CreateDirectory(Root);
        var used = await UsedBytesAsync(owner.Id, address);
        var (room, limitName, noRoom) = Reserve(owner, address, used);
        if (noRoom is not null) return Refused(noRoom);
        var id = Guid.NewGuid();
        var incoming = Path.Combine(Root, $".incoming-{id:N}.zip");
        var staging = Path.Combine(Root, $".staging-{id:N}");
        var final = Path.Combine(Root, id.ToString("N"));
        try
        {
            await SaveCappedAsync(zip, incoming, uploads.MaxZipBytes, cancellationToken);
            var unpacked = await Task.Run(() => ZipImporter.Extract(incoming, staging,
                new ImportLimits(uploads.MaxUnpackedBytes, uploads.MaxEntries, uploads.MaxCompressionRatio, "MaxUnpackedBytes", Options.MaxImagePixels,
                    uploads.MaxArchiveCompressionRatio, uploads.MaxDecodedMegapixels * 1_000_000L, room, limitName), cancellationToken), cancellationToken);
            Directory.Move(staging, final);
            var record = new UploadedDatasetRecord
            {
                Id = id, Name = name, NormalizedName = StudentRegistry.Normalize(name), OwnerId = owner.Id,
                ForClass = !Options.Class.IsOn || owner.IsInstructor, Classes = string.Join('\n', unpacked.Classes),
                Images = unpacked.Images, Skipped = unpacked.Skipped, Bytes = unpacked.Bytes, CreatedAt = time.GetUtcNow(), UploaderAddress = address,
            };
            try
            {
                await using var db = await factory.CreateDbContextAsync();
                db.UploadedDatasets.Add(record);
                await db.SaveChangesAsync(CancellationToken.None);
            }
            catch
            {
                Delete(final);
                throw;
            }
            var skipped = unpacked.Skipped > 0 ? " " + unpacked.SkippedSummary : "";
            var downscaled = unpacked.Downscaled switch
            {
                0 => "",
                1 => $" 1 picture was larger than runs use and is kept at {ZipImporter.StoredShortSide} pixels on its shorter side.",
                var n => $" {n} pictures were larger than runs use and are kept at {ZipImporter.StoredShortSide} pixels on their shorter side.",
            };
            return new(true, $"Imported {name}: {unpacked.Classes.Count} classes ({string.Join(", ", unpacked.Classes)}), {unpacked.Images} images.{skipped}{downscaled} " +
                $"It takes {Sizes.Short(unpacked.Bytes)} on the server and is in the launcher as {Prefix}{name}.", record);
        }
        catch (ImportRefusedException e) { return Refused(e.Message); }
        catch (OperationCanceledException) { return Refused("the upload was cancelled."); }
        catch (DbUpdateException) { return Refused($"a dataset called {name} has just been uploaded by someone else."); }
        catch (IOException e) { return Refused($"the server could not store it ({e.Message}). Nothing was kept."); }
        finally
        {
            Release(owner.Id, address, room);
            Delete(staging);
            try { File.Delete(incoming); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Sets aside the most this zip may store (the room left in the owner's, the address's and the server's quotas,
    /// less what imports in progress have set aside), or says why there is no room. The import is held to it. The
    /// instructor is held only to the server's quota; students together stop short of it by the instructor's reserve.
    /// </summary>
    private (long Room, string LimitName, string? Problem) Reserve(RunOwner owner, string address, Usage used)
    {
        var uploads = Options.Uploads;
        lock (_lock)
        {
            var mineReserved = _reserved.Where(r => r.OwnerId == owner.Id).Sum(r => r.Bytes);
            var addressReserved = _reserved.Where(r => !r.Instructor && r.Address == address).Sum(r => r.Bytes);
            var allReserved = _reserved.Sum(r => r.Bytes);
            // (room left, the limit's name, what is stored against it, its size, what to say when it is full)
            (long Room, string Name, long Used, long Limit, string Full)[] limits = owner.IsInstructor
                ? [(uploads.QuotaTotalBytes - used.All - allReserved, "the server's QuotaTotalBytes", used.All, uploads.QuotaTotalBytes,
                    $"the server's uploads already take {Sizes.Megabytes(used.All)}, the whole quota (QuotaTotalBytes). Delete some first.")]
                : [
                    (uploads.QuotaPerOwnerBytes - used.Mine - mineReserved, "your QuotaPerOwnerBytes", used.Mine, uploads.QuotaPerOwnerBytes,
                        $"your uploads already take {Sizes.Megabytes(used.Mine)}, your whole quota (QuotaPerOwnerBytes). Delete one first."),
                    (uploads.QuotaPerAddressBytes - used.Address - addressReserved, "the QuotaPerAddressBytes of your network address", used.Address, uploads.QuotaPerAddressBytes,
                        $"uploads from your network address (under every name used from it) already take {Sizes.Megabytes(used.Address)}, all that one address may use " +
                        "(QuotaPerAddressBytes). Delete one of yours, or ask the instructor."),
                    Options.Class.IsOn
                        ? (StudentsShare - used.All - allReserved, "the students' share of QuotaTotalBytes", used.All, StudentsShare,
                            $"the class's uploads already take {Sizes.Megabytes(used.All)}, all that students may use (QuotaTotalBytes less InstructorReserveBytes). " +
                            "Ask the instructor to delete some.")
                        : (uploads.QuotaTotalBytes - used.All - allReserved, "the server's QuotaTotalBytes", used.All, uploads.QuotaTotalBytes,
                            $"the server's uploads already take {Sizes.Megabytes(used.All)}, the whole quota (QuotaTotalBytes). Delete some first."),
                ];
            // One import never sets aside more than one upload may unpack to, so the instructor's does not hold up the class's.
            (long Room, string Name, long Used, long Limit, string Full) perUpload = (uploads.MaxUnpackedBytes, "one upload's MaxUnpackedBytes", 0, uploads.MaxUnpackedBytes, "");
            var tightest = limits.Append(perUpload).MinBy(l => l.Room);
            if (tightest.Room <= 0)
                return (0, tightest.Name, limits.FirstOrDefault(l => l.Used >= l.Limit).Full
                    ?? "other uploads being imported right now have taken the room that is left. Try again when they are done.");
            _reserved.Add(new(owner.Id, address, owner.IsInstructor, tightest.Room));
            return (tightest.Room, tightest.Name, null);
        }
    }

    /// <summary>What students' uploads may take together: the server's quota less the instructor's reserve.</summary>
    private long StudentsShare => Options.Uploads.QuotaTotalBytes - Options.Uploads.InstructorReserveBytes;

    private void Release(string ownerId, string address, long room)
    {
        lock (_lock)
        {
            var index = _reserved.FindIndex(r => r.OwnerId == ownerId && r.Address == address && r.Bytes == room);
            if (index >= 0) _reserved.RemoveAt(index);
        }
    }

    /// <summary>Deletes an upload, when the rules allow this owner to (<see cref="Access.Delete"/>).</summary>
    public async Task<bool> DeleteAsync(Guid id, RunOwner owner)
    {
        await using var db = await factory.CreateDbContextAsync();
        var record = await db.UploadedDatasets.FirstOrDefaultAsync(d => d.Id == id);
        if (record is null || !await authorization.AllowsAsync(owner, record, Access.Delete)) return false;
        db.UploadedDatasets.Remove(record);
        await db.SaveChangesAsync();
        Delete(FolderOf(record));
        return true;
    }

    private async Task<Usage> UsedBytesAsync(string ownerId, string address)
    {
        await using var db = await factory.CreateDbContextAsync();
        var sizes = await db.UploadedDatasets.Select(d => new { d.OwnerId, d.UploaderAddress, d.Bytes }).ToListAsync();
        return new(sizes.Where(s => s.OwnerId == ownerId).Sum(s => s.Bytes),
            sizes.Where(s => s.UploaderAddress == address && s.OwnerId != RunOwner.InstructorId).Sum(s => s.Bytes),
            sizes.Sum(s => s.Bytes));
    }

    /// <summary>Streams the upload to disk, refusing it as soon as it passes the cap (a lying length is caught too).</summary>
    private static async Task SaveCappedAsync(Stream zip, string path, long max, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await zip.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > max) throw new ImportRefusedException($"the zip is larger than {Sizes.Megabytes(max)} (MaxZipBytes).");
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private static void Delete(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
    }

    private static ImportOutcome Refused(string why) => new(false, "Refused: " + why, null);
}
