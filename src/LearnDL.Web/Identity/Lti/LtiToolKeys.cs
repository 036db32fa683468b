using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// LearnDL's own RSA key pair as an LTI tool: it signs the tool's JWTs (the client-credentials assertion for the
/// roster and grades, deep-linking responses) and its public half is served at /lti/jwks. Made once, on first use,
/// in the data folder next to the data-protection keys (keys/lti/, readable by the app's user only), so a restart or
/// a redeploy keeps it: the platforms cache /lti/jwks. Rotation (<see cref="Rotate"/>, or the app's
/// <c>--rotate-lti-key</c>) makes a new current key; the old one stays published for <see cref="LtiOptions.RetiredKeyDays"/>,
/// while platforms may still hold tokens it signed, and is deleted after. A running server re-reads the folder each minute.
/// </summary>
public sealed class LtiToolKeys(IOptions<LearnDLOptions> options, TimeProvider time, ILogger<LtiToolKeys> logger) : IDisposable
{
    private static readonly TimeSpan Reread = TimeSpan.FromMinutes(1);
    private readonly Lock _lock = new();
    private List<ToolKey> _keys = [];
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    public string Folder => Path.Combine(KeyRing.FolderIn(options.Value.ResolvedDataFolder), "lti");

    /// <summary>How the tool signs its JWTs now: RS256 with the current key (its <c>kid</c> set, so platforms find it in /lti/jwks).</summary>
    public SigningCredentials SigningCredentials
    {
        get
        {
            var key = Current();
            return new SigningCredentials(new RsaSecurityKey(key.Rsa) { KeyId = key.Id }, SecurityAlgorithms.RsaSha256);
        }
    }

    public string CurrentKeyId => Current().Id;

    /// <summary>The public keys for /lti/jwks: the current one and those retired less than <see cref="LtiOptions.RetiredKeyDays"/> ago.</summary>
    public object Jwks()
    {
        lock (_lock)
        {
            Load();
            return new
            {
                keys = _keys.Select(k =>
                {
                    var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(k.Rsa.ExportParameters(false)) { KeyId = k.Id });
                    return new { kty = "RSA", kid = k.Id, use = "sig", alg = SecurityAlgorithms.RsaSha256, n = jwk.N, e = jwk.E };
                }).ToList(),
            };
        }
    }

    /// <summary>Makes a new current key; the previous one is retired (still published a while). Returns the new key's id.</summary>
    public string Rotate()
    {
        lock (_lock)
        {
            Load();
            var now = time.GetUtcNow();
            foreach (var old in _keys.Where(k => k.RetiredAt is null))
            {
                old.RetiredAt = now;
                Save(old);
            }
            var key = Create(now);
            logger.LogInformation("New LTI tool key {KeyId}; the previous one stays in /lti/jwks for {Days} days.", key.Id, options.Value.Lti.RetiredKeyDays);
            _readAt = DateTimeOffset.MinValue;
            Load();
            return key.Id;
        }
    }

    private ToolKey Current()
    {
        lock (_lock)
        {
            Load();
            return _keys.Where(k => k.RetiredAt is null).MaxBy(k => k.CreatedAt) ?? throw new InvalidOperationException("No current LTI key.");
        }
    }

    /// <summary>Reads the folder (at most each minute), making the first key, and deleting keys retired long enough.</summary>
    private void Load()
    {
        var now = time.GetUtcNow();
        if (now - _readAt < Reread && _keys.Count > 0) return;
        var folder = OperatingSystem.IsWindows() ? Directory.CreateDirectory(Folder)
            : Directory.CreateDirectory(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var keys = new List<ToolKey>();
        foreach (var file in folder.GetFiles("*.json"))
        {
            try
            {
                var stored = JsonSerializer.Deserialize<StoredKey>(File.ReadAllText(file.FullName)) ?? throw new JsonException("empty");
                if (stored.RetiredAt is { } retired && now - retired > TimeSpan.FromDays(options.Value.Lti.RetiredKeyDays))
                {
                    file.Delete();
                    logger.LogInformation("LTI tool key {KeyId} retired on {Retired:u}: no longer published, deleted.", stored.Id, retired);
                    continue;
                }
                // A key already loaded keeps its RSA object: credentials handed out earlier may still be signing with it.
                var rsa = _keys.FirstOrDefault(k => k.Id == stored.Id)?.Rsa;
                if (rsa is null) { rsa = RSA.Create(); rsa.ImportFromPem(stored.PrivateKeyPem); }
                keys.Add(new ToolKey(stored.Id, rsa, stored.CreatedAt) { RetiredAt = stored.RetiredAt });
            }
            catch (Exception e) when (e is JsonException or CryptographicException or ArgumentException or IOException)
            {
                logger.LogError(e, "The LTI key file {File} cannot be read; it is left as it is and not used.", file.Name);
            }
        }
        foreach (var gone in _keys.Where(k => keys.All(n => n.Rsa != k.Rsa))) gone.Rsa.Dispose();
        _keys = keys;
        if (!_keys.Any(k => k.RetiredAt is null)) _keys.Add(Create(now));
        _readAt = now;
    }

    private ToolKey Create(DateTimeOffset now)
    {
        var key = new ToolKey(Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12)), RSA.Create(2048), now);
        Save(key);
        return key;
    }

    private void Save(ToolKey key)
    {
        var path = Path.Combine(Folder, key.Id + ".json");
        var json = JsonSerializer.Serialize(new StoredKey(key.Id, key.CreatedAt, key.RetiredAt, key.Rsa.ExportPkcs8PrivateKeyPem()));
        var temp = path + ".tmp";
        using (var stream = OperatingSystem.IsWindows() ? new FileStream(temp, FileMode.Create)
            : new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        using (var writer = new StreamWriter(stream)) writer.Write(json);
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose()
    {
        lock (_lock) foreach (var key in _keys) key.Rsa.Dispose();
    }

    private sealed class ToolKey(string id, RSA rsa, DateTimeOffset createdAt)
    {
        public string Id { get; } = id;
        public RSA Rsa { get; } = rsa;
        public DateTimeOffset CreatedAt { get; } = createdAt;
        public DateTimeOffset? RetiredAt { get; set; }
    }

    private sealed record StoredKey(string Id, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt, string PrivateKeyPem);
}
