using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// Who may register an LMS by URL: whoever holds the secret code of the address the instructor's dashboard shows. One
/// code at a time, valid for <see cref="Lifetime"/>, used once: a registration that succeeds spends it, one that fails
/// gives it back (the LMS administrator can fix their side and try again), and the dashboard's button makes a fresh
/// one, which ends the old. Kept in the data folder (readable by the app's user only), so a restart keeps the address.
/// </summary>
public sealed class LtiRegistrationCode(IOptions<LearnDLOptions> options, TimeProvider time)
{
    public const string FileName = "lti-registration-code.json";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    private readonly Lock _lock = new();
    private Stored? _stored;
    private bool _read;

    private string File => Path.Combine(options.Value.ResolvedDataFolder, FileName);

    /// <summary>The registration address to paste in the LMS, with the current code (made when none is valid), and until when it works.</summary>
    public (string Address, DateTimeOffset ExpiresAt) Address(string origin)
    {
        lock (_lock)
        {
            var code = Valid() ?? New();
            return (AddressOf(origin, code.Code), code.ExpiresAt);
        }
    }

    /// <summary>A fresh address; the previous one stops working.</summary>
    public (string Address, DateTimeOffset ExpiresAt) Renew(string origin)
    {
        lock (_lock)
        {
            var code = New();
            return (AddressOf(origin, code.Code), code.ExpiresAt);
        }
    }

    /// <summary>Takes <paramref name="code"/> for a registration: true when it is the current code, unused and not expired (it is then used).</summary>
    public bool TryTake(string? code)
    {
        lock (_lock)
        {
            if (Valid() is not { } current || !Same(code, current.Code)) return false;
            Save(current with { Used = true });
            return true;
        }
    }

    /// <summary>A registration with <paramref name="code"/> failed: the code works again, unless a fresh one replaced it meanwhile.</summary>
    public void GiveBack(string code)
    {
        lock (_lock)
        {
            if (Load() is { Used: true } current && Same(code, current.Code)) Save(current with { Used = false });
        }
    }

    private static string AddressOf(string origin, string code) => $"{origin.TrimEnd('/')}/lti/register?code={code}";

    private static bool Same(string? given, string code) =>
        given is { Length: > 0 } && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(code));

    private Stored? Valid() => Load() is { Used: false } s && s.ExpiresAt > time.GetUtcNow() ? s : null;

    private Stored New()
    {
        var code = new Stored(Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(18)), time.GetUtcNow() + Lifetime, Used: false);
        Save(code);
        return code;
    }

    private Stored? Load()
    {
        if (_read) return _stored;
        try
        {
            _stored = System.IO.File.Exists(File) ? JsonSerializer.Deserialize<Stored>(System.IO.File.ReadAllText(File)) : null;
        }
        catch (JsonException)
        {
            _stored = null; // a damaged file: the dashboard makes a new address
        }
        _read = true;
        return _stored;
    }

    private void Save(Stored code)
    {
        Directory.CreateDirectory(options.Value.ResolvedDataFolder);
        var temp = File + ".tmp";
        using (var stream = OperatingSystem.IsWindows() ? new FileStream(temp, FileMode.Create)
            : new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            JsonSerializer.Serialize(stream, code);
        System.IO.File.Move(temp, File, overwrite: true);
        (_stored, _read) = (code, true);
    }

    private sealed record Stored(string Code, DateTimeOffset ExpiresAt, bool Used);
}
