using LearnDL.Web.Data;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity;

/// <summary>
/// Whether joining the class needs its code, and which code: what the instructor switched on the dashboard
/// (kept in the class's state, so a restart keeps it), otherwise appsettings.json's Class:JoinCode, needed when set.
/// </summary>
public sealed class ClassCode(IOptions<LearnDLOptions> options, ClassStateStore state)
{
    public const int MaxLength = 40;

    /// <summary>The code, as the instructor set it (empty when there is none).</summary>
    public string Code => (state.Current.JoinCode ?? options.Value.Class.JoinCode).Trim();

    /// <summary>Whether a new student must give the code (changing one's name never needs it).</summary>
    public bool Required => (state.Current.RequireJoinCode ?? !string.IsNullOrWhiteSpace(options.Value.Class.JoinCode)) && Code.Length > 0;

    /// <summary>Whether a joining student may join with <paramref name="attempt"/>: any answer when no code is required.</summary>
    public bool Admits(string? attempt) => !Required || Passphrase.MatchesJoinCode(attempt ?? "", Code);

    /// <summary>
    /// The dashboard's switch: require the code (given here, or the one already set) or not. Null when done,
    /// otherwise what to do (a code is needed to require one). Applies to the next join at once.
    /// </summary>
    public async Task<string?> SetAsync(bool required, string? code = null)
    {
        var newCode = code?.Trim() is { Length: > 0 } given ? given : Code;
        if (newCode.Length > MaxLength) return $"A class code is at most {MaxLength} characters.";
        if (required && newCode.Length == 0)
            return "Type a class code first (a word or number you read out or write on the board), then switch it on.";
        await state.SaveAsync(s => (s.RequireJoinCode, s.JoinCode) = (required, newCode));
        Changed?.Invoke();
        return null;
    }

    public event Action? Changed;
}
