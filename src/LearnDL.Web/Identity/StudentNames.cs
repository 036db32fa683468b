using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LearnDL.Web.Identity;

/// <summary>
/// What a student's name may be, and when two names are the same. A name is NFKC-normalized (fullwidth
/// ａｌｉｃｅ is alice), holds nothing invisible, writes each letter with at most two accents, and uses one
/// script (Latin, Cyrillic, Greek, Han...; digits and the punctuation allowed are common to all). Two names
/// are the same when they look the same (<see cref="LookAlike"/>): same letters up to case and Unicode's
/// confusables (UTS #39's skeleton), so Cyrillic І or Greek ο cannot pass for Latin I or o. The data is
/// <see cref="UnicodeTables"/>.
/// </summary>
public static partial class StudentNames
{
    public const string Reserved = "Instructor";
    public const int MaxMarksInARow = 2;

    /// <summary>The name as it will be shown, or why it cannot be used (<paramref name="whenEmpty"/> when there is none).</summary>
    public static (string? Name, string? Problem) Clean(string? raw, int maxLength, string whenEmpty)
    {
        // A phone's keyboard types ’ for the apostrophe of O'Brien.
        var text = (raw ?? "").Replace('\u2019', '\'');
        string folded;
        try { folded = text.Normalize(NormalizationForm.FormKC); }
        catch (ArgumentException) { return (null, LettersOnly); } // not well-formed UTF-16
        if (HasIgnorable(text) || HasIgnorable(folded))
            return (null, "Names cannot hold invisible characters (fillers, zero-width spaces and the like). Type your name with visible letters only.");
        var name = Spaces().Replace(folded, " ").Trim();
        if (name.Length == 0) return (null, whenEmpty);
        if (name.Length > maxLength) return (null, $"Names are at most {maxLength} characters (yours has {name.Length}).");
        // Letters, digits, spaces and a little punctuation: no markup, no control or direction-changing characters.
        if (!Allowed().IsMatch(name)) return (null, LettersOnly);
        if (MarksProblem(name) is { } marks) return (null, marks);
        if (LooksLikeReserved(name)) return (null, "That name is kept for the instructor.");
        if (ScriptProblem(name) is { } scripts) return (null, scripts);
        return (name, null);
    }

    private const string LettersOnly = "Use letters, digits, spaces and . - _ ' only.";

    /// <summary>
    /// The stored key, unique in the class: UTS #39's skeleton of the name in lower case. "Alice", "ALICE" and
    /// "аlice" (Cyrillic а) share it. <see cref="LookAlike"/> compares more forms than this one key.
    /// </summary>
    public static string Key(string name) => Skeleton(name.ToLowerInvariant());

    /// <summary>
    /// Whether two names look the same: their skeletons match in lower case (Alice, ALICE, аlice), as typed
    /// (Ian, lan: a capital I is a small L in many fonts) or in upper case (Маria with a Cyrillic М, whose small
    /// letter м looks like no Latin letter). No single key can hold all three: folding case after the skeleton
    /// would make Ian and Lan one name.
    /// </summary>
    public static bool LookAlike(string a, string b) => Forms(a).Zip(Forms(b)).Any(p => p.First == p.Second);

    private static string[] Forms(string name) => [Key(name), Skeleton(name), Skeleton(name.ToUpperInvariant())];

    /// <summary>
    /// UTS #39's skeleton: NFD, default-ignorable characters removed, every character replaced by its prototype,
    /// NFD again. (New names cannot hold ignorables; names stored before these checks may, and compare without them.)
    /// </summary>
    public static string Skeleton(string text)
    {
        var skeleton = new StringBuilder(text.Length);
        foreach (var rune in text.Normalize(NormalizationForm.FormD).EnumerateRunes())
        {
            if (IsIgnorable(rune.Value)) continue;
            var at = UnicodeTables.ConfusableSources.BinarySearch(rune.Value);
            if (at >= 0) skeleton.Append(Prototypes[at]);
            else skeleton.Append(rune.ToString());
        }
        return skeleton.ToString().Normalize(NormalizationForm.FormD);
    }

    /// <summary>The script of a character, by Scripts.txt's long name ("Latin", "Cyrillic", "Common", "Inherited"...).</summary>
    public static string ScriptOf(int codePoint)
    {
        var at = UnicodeTables.ScriptStarts.BinarySearch(codePoint);
        if (at < 0) at = ~at - 1;
        return UnicodeTables.ScriptNames[UnicodeTables.ScriptIds[at]];
    }

    public static bool IsIgnorable(int codePoint)
    {
        var ranges = UnicodeTables.IgnorableRanges;
        for (var i = 0; i < ranges.Length; i += 2)
            if (codePoint >= ranges[i] && codePoint <= ranges[i + 1]) return true;
        return false;
    }

    private static readonly string[] Prototypes = UnicodeTables.ConfusableTargets.Split('\0');

    private static bool HasIgnorable(string text)
    {
        foreach (var rune in text.EnumerateRunes())
            if (IsIgnorable(rune.Value)) return true;
        return false;
    }

    /// <summary>"Instructor" however it is written: any case, or look-alike letters (Іnstructor, Instructοr, lnstructor).</summary>
    private static bool LooksLikeReserved(string name) => LookAlike(name, Reserved);

    /// <summary>
    /// Accents are combining marks after a letter: at most <see cref="MaxMarksInARow"/> on one letter, and no
    /// more marks than letters in all (Thai, Hindi or Vietnamese names stay well within both; a letter under
    /// thirty-nine marks does not).
    /// </summary>
    private static string? MarksProblem(string name)
    {
        int inARow = 0, marks = 0, bases = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark)
            {
                if (bases == 0 || ++inARow > MaxMarksInARow)
                    return $"Too many accents: at most {MaxMarksInARow} marks on one letter.";
                marks++;
            }
            else
            {
                inARow = rune.Value == ' ' ? MaxMarksInARow : 0; // a mark after a space has no letter to sit on
                if (rune.Value != ' ') bases++;
            }
        }
        return marks > bases ? $"Too many accents: at most {MaxMarksInARow} marks on one letter." : null;
    }

    /// <summary>
    /// One script per name: mixing scripts is how look-alike names are made (Маria with a Cyrillic М). Common
    /// (digits, punctuation) and Inherited (accents) go with any script; Japanese mixes Han, Hiragana and
    /// Katakana, Chinese Han and Bopomofo, Korean Han and Hangul (UTS #39's highly restrictive level).
    /// </summary>
    private static string? ScriptProblem(string name)
    {
        var scripts = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rune in name.EnumerateRunes())
            if (ScriptOf(rune.Value) is not ("Common" or "Inherited") and var script) scripts.Add(script);
        if (scripts.Count <= 1 || AllowedTogether.Any(set => scripts.IsSubsetOf(set))) return null;
        var named = scripts.ToList();
        return $"Use one alphabet for the whole name: this one mixes {string.Join(", ", named[..^1])} and {named[^1]} letters, as look-alike names do.";
    }

    private static readonly string[][] AllowedTogether = [["Han", "Hiragana", "Katakana"], ["Han", "Bopomofo"], ["Han", "Hangul"]];

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"^[\p{L}\p{M}\p{N} .'_-]+$")]
    private static partial Regex Allowed();
}
