using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LearnDL.Web.Identity;

/// <summary>
/// The instructor's passphrase: checked in constant time, against the plain setting or a PBKDF2 hash
/// of it (format <c>pbkdf2-sha256$iterations$salt$hash</c>, made by the app's `--hash-passphrase`).
/// </summary>
public static class Passphrase
{
    private const string Scheme = "pbkdf2-sha256";
    private const int Iterations = 200_000;

    public static string Hash(string passphrase)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase.Trim()), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"{Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool IsHash(string text) => TryParse(text, out _, out _, out _);

    /// <summary>True when <paramref name="attempt"/> is the configured passphrase (plain or hashed), compared in constant time.</summary>
    public static bool Matches(string attempt, ClassOptions options)
    {
        var given = Encoding.UTF8.GetBytes(attempt.Trim());
        if (TryParse(options.InstructorPassphraseHash, out var iterations, out var salt, out var expected))
            return CryptographicOperations.FixedTimeEquals(Rfc2898DeriveBytes.Pbkdf2(given, salt, iterations, HashAlgorithmName.SHA256, expected.Length), expected);
        if (string.IsNullOrWhiteSpace(options.InstructorPassphrase)) return false;
        // Both sides hashed first: equal lengths, so the comparison's time says nothing about the passphrase.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(given), SHA256.HashData(Encoding.UTF8.GetBytes(options.InstructorPassphrase.Trim())));
    }

    /// <summary>
    /// Whether a joining student gave the class code (see <see cref="ClassCode"/>; any answer when there is none).
    /// It is read out in a classroom, so only the letters and digits matter: compared after NFKC and case folding,
    /// with every space and dash taken out ("Blue Fox", "bluefox", "BLUE-FOX" are one code).
    /// </summary>
    public static bool MatchesJoinCode(string attempt, string code) =>
        string.IsNullOrWhiteSpace(code) || CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(SpokenForm(attempt))), SHA256.HashData(Encoding.UTF8.GetBytes(SpokenForm(code))));

    private static string SpokenForm(string code) => string.Concat(code.Normalize(NormalizationForm.FormKC)
        .Where(c => !char.IsWhiteSpace(c) && CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.DashPunctuation)).ToUpperInvariant();

    private static bool TryParse(string text, out int iterations, out byte[] salt, out byte[] hash)
    {
        (iterations, salt, hash) = (0, [], []);
        var parts = (text ?? "").Trim().Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], out iterations) || iterations < 10_000) return false;
        try
        {
            (salt, hash) = (Convert.FromBase64String(parts[2]), Convert.FromBase64String(parts[3]));
            return salt.Length >= 8 && hash.Length >= 16;
        }
        catch (FormatException) { return false; }
    }
}
