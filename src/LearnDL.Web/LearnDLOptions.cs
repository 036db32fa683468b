using LearnDL.Training.Datasets;
using Microsoft.Extensions.Options;

namespace LearnDL.Web;

/// <summary>Everything a class server needs, from the "LearnDL" section of appsettings.json.</summary>
public sealed class LearnDLOptions
{
    public const string Section = "LearnDL";

    /// <summary>Database, generated datasets and saved models. Empty means ~/.local/share/learndl.</summary>
    public string DataFolder { get; set; } = "";
    public string FashionMnistFolder { get; set; } = "/usr/share/datasets/fashion-mnist";
    /// <summary>Folders whose subfolders (one subfolder per class) are offered as datasets; nothing outside them is.</summary>
    public List<string> FolderRoots { get; set; } = [];
    public int MaxConcurrentCpuRuns { get; set; } = 1;
    /// <summary>A GPU serves one run at a time: two would fight over its memory and skew both timings.</summary>
    public int MaxConcurrentGpuRuns { get; set; } = 1;
    public int MaxImagesPerRun { get; set; } = 5000;
    public int MaxEpochs { get; set; } = 20;
    /// <summary>Runs waiting or running on the whole server: enough for a class, each with a run or two.</summary>
    public int MaxQueuedRuns { get; set; } = 100;
    /// <summary>Runs one person (a browser session, or a student) may have waiting or running at once.</summary>
    public int MaxQueuedRunsPerOwner { get; set; } = 3;
    /// <summary>A Try-it requested while an identical one is queued or running joins it instead of queueing a copy.</summary>
    public bool ShareIdenticalRuns { get; set; } = true;

    /// <summary>Largest image a learner may upload to classify with a run's model.</summary>
    public long MaxUploadImageBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Pictures that declare more pixels are refused before decoding (classify, zip imports, runs, thumbnails).</summary>
    public long MaxImagePixels { get; set; } = SafeImageDecoder.DefaultMaxPixels;

    /// <summary>GPU prices for lesson 8's calculator; lessons call them examples.</summary>
    public List<LearnDL.Web.Features.Lessons.Demos.GpuPrice> GpuPrices { get; set; } = [];

    /// <summary>Class mode: on when an instructor passphrase (or its hash) is set.</summary>
    public ClassOptions Class { get; set; } = new();

    /// <summary>LTI 1.3: the learning management systems that launch LearnDL (Identity/Lti). Any platform puts the server in class mode.</summary>
    public Identity.Lti.LtiOptions Lti { get; set; } = new();

    /// <summary>Dataset uploads (.zip of one folder per class) and the limits that keep them safe.</summary>
    public UploadOptions Uploads { get; set; } = new();

    /// <summary>Running behind a reverse proxy, or on HTTPS.</summary>
    public HostingOptions Hosting { get; set; } = new();

    /// <summary>What classifying a picture with a run's model may cost: one at a time per person, a few a minute, within a memory bound.</summary>
    public ClassifyOptions Classify { get; set; } = new();

    /// <summary>How a page comes back by itself after the server restarted or the network dropped.</summary>
    public Reconnection.ReconnectOptions Reconnect { get; set; } = new();

    /// <summary>Who may read /metrics besides the instructor: the networks a Prometheus scrapes from (README: Watching the class's health).</summary>
    public Telemetry.MetricsOptions Metrics { get; set; } = new();

    /// <summary>Where uploaded datasets are kept: under the data folder, never under wwwroot.</summary>
    public string UploadsFolder => Path.Combine(ResolvedDataFolder, "uploads");

    public string ResolvedDataFolder => string.IsNullOrWhiteSpace(DataFolder) ? DatasetOptions.DefaultDataFolder : Path.GetFullPath(DataFolder);

    public DatasetOptions ToDatasetOptions() => new()
    {
        DataFolder = ResolvedDataFolder,
        FashionMnistFolder = FashionMnistFolder,
        // With no roots configured, the web app offers no folder datasets at all (unlike the CLI).
        FolderRoots = FolderRoots.Count > 0 ? FolderRoots : [Path.Combine(ResolvedDataFolder, "folders")],
        // Uploads may be run from, but are listed by the upload registry, with their owners, not as folders.
        UnlistedRoots = [UploadsFolder],
        MaxImagePixels = MaxImagePixels,
    };
}

public sealed class ClassOptions
{
    /// <summary>The instructor's passphrase in plain text (environment LearnDL__Class__InstructorPassphrase).</summary>
    public string InstructorPassphrase { get; set; } = "";
    /// <summary>Or its hash, made with the app's `--hash-passphrase`, so the passphrase itself is in no file.</summary>
    public string InstructorPassphraseHash { get; set; } = "";
    /// <summary>Whether students see the class comparison page; the instructor can switch it at run time.</summary>
    public bool ShowClassComparison { get; set; }
    public int MaxNameLength { get; set; } = 40;
    /// <summary>
    /// A code students must give to join (read out or written on the board); empty: a name is enough. The
    /// instructor can set or change it, and switch it on or off, on the dashboard.
    /// </summary>
    public string JoinCode { get; set; } = "";
    /// <summary>
    /// New names one network address may make at once, how many more a minute after that, and at most in an hour
    /// (renames are not counted). A classroom behind one router is one address: see Identity/NewNameAllowance.
    /// </summary>
    public int NewNamesPerAddressAtOnce { get; set; } = 30;
    public int NewNamesPerAddressPerMinute { get; set; } = 30;
    public int NewNamesPerAddressPerHour { get; set; } = 200;
    /// <summary>Runs waiting or running from all the names made on one network address (a class behind one router shares it).</summary>
    public int MaxQueuedRunsPerAddress { get; set; } = 30;
    /// <summary>Runs waiting or running from all students together: the rest of the queue (MaxQueuedRuns) stays the instructor's.</summary>
    public int MaxQueuedStudentRuns { get; set; } = 80;
    /// <summary>How long the instructor's sign-in lasts: a class day, not the students' sixty days.</summary>
    public int InstructorSessionHours { get; set; } = 12;
    /// <summary>The class pulse flags a student with no progress for this many minutes while others progress.</summary>
    public double StuckAfterMinutes { get; set; } = 10;
    /// <summary>... or this many of their runs in a row failed or cancelled.</summary>
    public int StuckAfterFailedRuns { get; set; } = 2;
    /// <summary>... or this many questions in a row answered wrong at the first try.</summary>
    public int StuckAfterWrongFirstTries { get; set; } = 3;
    /// <summary>
    /// Two answers of one student closer together than this are flagged, both, and kept out of the pulse's
    /// figures: nobody reads a question, or the explanation of a wrong answer, and chooses again that fast. 0: off.
    /// </summary>
    public double MinSecondsBetweenAnswers { get; set; } = 2;
    /// <summary>An answer sooner than this after the student opened the lesson is flagged too (the questions sit under the lesson's text). 0: off.</summary>
    public double MinSecondsAfterOpening { get; set; } = 3;

    /// <summary>Set from <see cref="LearnDLOptions.Lti"/> (not a setting): LTI launches sign the class in, so any platform means a class.</summary>
    public bool LtiPlatforms { get; internal set; }

    public bool IsOn => LtiPlatforms || !string.IsNullOrWhiteSpace(InstructorPassphrase) || !string.IsNullOrWhiteSpace(InstructorPassphraseHash);
}

public sealed class UploadOptions
{
    /// <summary>Largest .zip accepted, as sent.</summary>
    public long MaxZipBytes { get; set; } = 200L * 1024 * 1024;
    /// <summary>Most bytes the files of one zip may unpack to, counted while unpacking (headers are not trusted).</summary>
    public long MaxUnpackedBytes { get; set; } = 1024L * 1024 * 1024;
    public int MaxEntries { get; set; } = 20_000;
    /// <summary>Largest ratio of unpacked to packed bytes for one file: images barely compress; zip bombs do.</summary>
    public double MaxCompressionRatio { get; set; } = 100;
    /// <summary>Disk that one person's uploads may take, and all uploads together.</summary>
    public long QuotaPerOwnerBytes { get; set; } = 500L * 1024 * 1024;
    public long QuotaTotalBytes { get; set; } = 5L * 1024 * 1024 * 1024;
    /// <summary>Largest ratio of unpacked to packed bytes for the whole zip: a zip of pictures is about 1:1, BMPs a few to one.</summary>
    public double MaxArchiveCompressionRatio { get; set; } = 20;
    /// <summary>Pixels one upload may decode to store its large pictures downscaled (a 40-megapixel PNG takes about a second).</summary>
    public long MaxDecodedMegapixels { get; set; } = 500;
    /// <summary>Disk that the uploads of one network address may take, under every name used from it (the instructor's not counted).</summary>
    public long QuotaPerAddressBytes { get; set; } = 2L * 1024 * 1024 * 1024;
    /// <summary>Part of QuotaTotalBytes kept for the instructor: students' uploads together stop short of it.</summary>
    public long InstructorReserveBytes { get; set; } = 1L * 1024 * 1024 * 1024;
}

public sealed class ClassifyOptions
{
    /// <summary>Classifications running at once on the whole server; the rest wait their turn (briefly), so a run keeps its cores.</summary>
    public int MaxConcurrent { get; set; } = 1;
    /// <summary>Classifications one person may start in a burst ...</summary>
    public int Burst { get; set; } = 5;
    /// <summary>... and per minute after it.</summary>
    public int PerMinute { get; set; } = 6;
    /// <summary>Memory all classifications in progress may take together: each counts its upload, its picture's declared pixels x 4 bytes and its model.</summary>
    public long MemoryBytes { get; set; } = 512L * 1024 * 1024;
    /// <summary>Runs' models kept loaded for the next picture (the least recently used is let go).</summary>
    public int CachedModels { get; set; } = 4;
    /// <summary>How long a classification waits for a turn before it is refused, in seconds.</summary>
    public double WaitSeconds { get; set; } = 30;
}

public sealed class HostingOptions
{
    /// <summary>Redirect http:// to https:// (when the server itself has a certificate).</summary>
    public bool HttpsRedirection { get; set; }
    /// <summary>Trust X-Forwarded-For/-Proto from the proxies below (nginx, Caddy...): client addresses and the scheme.</summary>
    public bool ForwardedHeaders { get; set; }
    public List<string> KnownProxies { get; set; } = [];
    /// <summary>
    /// Other addresses (scheme://host[:port]) whose pages may open the live connection and send changes: a reverse
    /// proxy's public address when the app does not see it as its own host. The app's own address is always allowed.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];
}

/// <summary>Fails start-up on settings that would only break mid-class.</summary>
public sealed class ValidateLearnDLOptions : IValidateOptions<LearnDLOptions>
{
    public ValidateOptionsResult Validate(string? name, LearnDLOptions options)
    {
        var errors = new List<string>();
        // The same bounds as the dashboard's and the API's.
        errors.AddRange(RunService.LimitBounds.Problems(RunService.LimitBounds.Configured(options)).Select(p => "LearnDL:" + p));
        if (options.MaxImagePixels is < 1_000_000 or > 500_000_000) errors.Add("LearnDL:MaxImagePixels must be between 1,000,000 and 500,000,000 (a decoded picture takes 4 bytes a pixel).");
        if (options.Class.MaxNameLength is < 3 or > 100) errors.Add("LearnDL:Class:MaxNameLength must be between 3 and 100.");
        foreach (var (setting, value) in new[]
        {
            ("NewNamesPerAddressAtOnce", options.Class.NewNamesPerAddressAtOnce), ("NewNamesPerAddressPerMinute", options.Class.NewNamesPerAddressPerMinute),
            ("NewNamesPerAddressPerHour", options.Class.NewNamesPerAddressPerHour), ("MaxQueuedRunsPerAddress", options.Class.MaxQueuedRunsPerAddress),
            ("MaxQueuedStudentRuns", options.Class.MaxQueuedStudentRuns),
        })
            if (value is < 1 or > 10_000) errors.Add($"LearnDL:Class:{setting} must be between 1 and 10,000.");
        if (options.Class.NewNamesPerAddressPerHour < options.Class.NewNamesPerAddressAtOnce)
            errors.Add("LearnDL:Class:NewNamesPerAddressPerHour must be at least NewNamesPerAddressAtOnce.");
        if (options.Class.InstructorSessionHours is < 1 or > 24 * 30) errors.Add("LearnDL:Class:InstructorSessionHours must be between 1 and 720.");
        if (options.Class.StuckAfterMinutes is < 0.1 or > 240 or double.NaN) errors.Add("LearnDL:Class:StuckAfterMinutes must be between 0.1 and 240.");
        if (options.Class.StuckAfterFailedRuns is < 1 or > 20) errors.Add("LearnDL:Class:StuckAfterFailedRuns must be between 1 and 20.");
        if (options.Class.StuckAfterWrongFirstTries is < 1 or > 20) errors.Add("LearnDL:Class:StuckAfterWrongFirstTries must be between 1 and 20.");
        if (options.Class.MinSecondsBetweenAnswers is < 0 or > 60 or double.NaN) errors.Add("LearnDL:Class:MinSecondsBetweenAnswers must be between 0 (off) and 60.");
        if (options.Class.MinSecondsAfterOpening is < 0 or > 60 or double.NaN) errors.Add("LearnDL:Class:MinSecondsAfterOpening must be between 0 (off) and 60.");
        if (!string.IsNullOrWhiteSpace(options.Class.InstructorPassphrase) && options.Class.InstructorPassphrase.Trim().Length < 8)
            errors.Add("LearnDL:Class:InstructorPassphrase must be at least 8 characters.");
        if (!string.IsNullOrWhiteSpace(options.Class.InstructorPassphraseHash) && !Identity.Passphrase.IsHash(options.Class.InstructorPassphraseHash))
            errors.Add("LearnDL:Class:InstructorPassphraseHash is not a hash made by `dotnet run --project src/LearnDL.Web -- --hash-passphrase` (see the README).");
        if (options.Uploads.MaxZipBytes < 1024 || options.Uploads.MaxUnpackedBytes < options.Uploads.MaxZipBytes / 2)
            errors.Add("LearnDL:Uploads limits are too small (MaxZipBytes at least 1 KB, MaxUnpackedBytes at least half of it).");
        if (options.Uploads.MaxArchiveCompressionRatio < 2 || options.Uploads.MaxCompressionRatio < 2)
            errors.Add("LearnDL:Uploads:MaxArchiveCompressionRatio and MaxCompressionRatio must be at least 2 (pictures barely compress).");
        if (options.Uploads.MaxDecodedMegapixels < 1)
            errors.Add("LearnDL:Uploads:MaxDecodedMegapixels must be at least 1.");
        if (options.Uploads.QuotaPerOwnerBytes < 1 || options.Uploads.QuotaPerAddressBytes < 1 || options.Uploads.InstructorReserveBytes < 0
            || options.Uploads.InstructorReserveBytes >= options.Uploads.QuotaTotalBytes)
            errors.Add("LearnDL:Uploads quotas must be positive, and InstructorReserveBytes less than QuotaTotalBytes (students would have no room).");
        errors.AddRange(options.Reconnect.Problems());
        if (options.Classify.MaxConcurrent is < 1 or > 64) errors.Add("LearnDL:Classify:MaxConcurrent must be between 1 and 64.");
        if (options.Classify.Burst < 1 || options.Classify.PerMinute < 1) errors.Add("LearnDL:Classify:Burst and PerMinute must be at least 1.");
        if (options.Classify.CachedModels is < 1 or > 100) errors.Add("LearnDL:Classify:CachedModels must be between 1 and 100.");
        if (options.Classify.MemoryBytes < 16L * 1024 * 1024) errors.Add("LearnDL:Classify:MemoryBytes must be at least 16 MB.");
        if (options.Classify.WaitSeconds is < 1 or > 600 or double.NaN) errors.Add("LearnDL:Classify:WaitSeconds must be between 1 and 600.");
        foreach (var proxy in options.Hosting.KnownProxies)
            if (!System.Net.IPAddress.TryParse(proxy, out _)) errors.Add($"LearnDL:Hosting:KnownProxies: '{proxy}' is not an IP address.");
        foreach (var origin in options.Hosting.AllowedOrigins)
            if (Identity.SameOriginRule.Normalize(origin) is null)
                errors.Add($"LearnDL:Hosting:AllowedOrigins: '{origin}' is not an origin such as https://class.example.edu (scheme and host, an optional port, no path).");
        errors.AddRange(options.Metrics.AllowedNetworks.Select(n => Telemetry.MetricsOptions.Parse(n).Problem).OfType<string>());
        errors.AddRange(options.Lti.Problems());
        var models = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
        if (!File.Exists(models)) errors.Add($"The pretrained model {models} is missing; rebuild the app.");
        return errors.Count > 0 ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}
