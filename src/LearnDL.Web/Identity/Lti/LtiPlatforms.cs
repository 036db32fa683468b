using System.Text.Json;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// Every platform that may launch LearnDL, the one list that the login, the launch, the frame rule, the antiforgery
/// cookie and the services ask: those configured under <c>LearnDL:Lti:Platforms</c> and those registered by URL
/// (LTI Dynamic Registration, /lti/register). A registration joins at once, without a restart, and is kept in the data
/// folder (lti-platforms.json, readable by the app's user only) so a restart keeps it. Each change publishes a new
/// list that is never changed after, so readers need no lock.
/// </summary>
public sealed class LtiPlatforms
{
    public const string FileName = "lti-platforms.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly IReadOnlyList<LtiPlatform> _configured;
    private readonly string _file;
    private readonly ILogger<LtiPlatforms> _logger;
    private readonly Lock _write = new();
    private volatile Snapshot _now;

    public LtiPlatforms(IOptions<LearnDLOptions> options, ILogger<LtiPlatforms> logger)
    {
        (_configured, _file, _logger) = (options.Value.Lti.Platforms, FileIn(options.Value.ResolvedDataFolder), logger);
        _now = new Snapshot(_configured, Read(_file, logger));
    }

    /// <summary>Where registered platforms are kept in <paramref name="dataFolder"/>.</summary>
    public static string FileIn(string dataFolder) => Path.Combine(dataFolder, FileName);

    /// <summary>Whether platforms were registered by URL in <paramref name="dataFolder"/> (read at start-up: they make a class as configured ones do).</summary>
    public static bool AnyRegisteredIn(string dataFolder) => Read(FileIn(dataFolder), null).Count > 0;

    /// <summary>The configured platforms, then the registered ones.</summary>
    public IReadOnlyList<LtiPlatform> All => _now.All;

    /// <summary>Those registered by URL, oldest first.</summary>
    public IReadOnlyList<LtiPlatform> Registered => _now.Registered;

    public bool IsOn => _now.All.Count > 0;

    /// <summary>The platform that has this issuer and client id (the client id may be left out when the issuer has only one registration).</summary>
    public LtiPlatform? Find(string? issuer, string? clientId = null) => LtiOptions.Find(_now.All, issuer, clientId);

    /// <summary>Every origin that may frame LearnDL's pages (the same list until a platform registers).</summary>
    public IReadOnlyList<string> FrameOrigins() => _now.FrameOrigins;

    /// <summary>Whether this issuer and client id are configured under LearnDL:Lti:Platforms (a registration never replaces those).</summary>
    public bool IsConfigured(string issuer, string clientId) => LtiOptions.Find(_configured, issuer, clientId) is not null;

    /// <summary>Adds <paramref name="platform"/> (replacing a registration with its issuer and client id), keeps it in the file, and publishes it at once.</summary>
    public void Register(LtiPlatform platform)
    {
        lock (_write)
        {
            var registered = _now.Registered.Where(p => !(p.Issuer == platform.Issuer && p.ClientId == platform.ClientId)).Append(platform).ToList();
            Write(registered);
            _now = new Snapshot(_configured, registered);
        }
        Changed?.Invoke();
        _logger.LogInformation("LTI platform {Issuer} (client id {ClientId}, deployments {Deployments}) registered by URL; it may launch LearnDL now.",
            platform.Issuer, platform.ClientId, string.Join(", ", platform.DeploymentIds));
    }

    /// <summary>A platform registered (the dashboard shows it, and a fresh registration address).</summary>
    public event Action? Changed;

    private void Write(List<LtiPlatform> registered)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        var temp = _file + ".tmp";
        using (var stream = OperatingSystem.IsWindows() ? new FileStream(temp, FileMode.Create)
            : new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            JsonSerializer.Serialize(stream, registered, Json);
        File.Move(temp, _file, overwrite: true);
    }

    private static List<LtiPlatform> Read(string file, ILogger? logger)
    {
        if (!File.Exists(file)) return [];
        try
        {
            return JsonSerializer.Deserialize<List<LtiPlatform>>(File.ReadAllText(file)) ?? [];
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            // A damaged file must not stop the class: the configured platforms still work; the LMS can register again.
            logger?.LogError(e, "The registered LTI platforms ({File} in the data folder) cannot be read; they are not used until it is fixed or removed.", FileName);
            return [];
        }
    }

    private sealed class Snapshot(IReadOnlyList<LtiPlatform> configured, IReadOnlyList<LtiPlatform> registered)
    {
        public IReadOnlyList<LtiPlatform> Registered { get; } = registered;
        public IReadOnlyList<LtiPlatform> All { get; } = [.. configured, .. registered];
        public IReadOnlyList<string> FrameOrigins { get; } = LtiOptions.FrameOriginsOf([.. configured, .. registered]);
    }
}
