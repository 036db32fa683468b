using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace LearnDL.Web.Tests;

/// <summary>
/// Reads a rendered lesson sentence by sentence and finds the ones whose words contradict their numbers, whatever
/// sentence it is: a comparison ("N times fewer ... than", "faster", "slower", "as many") against the two
/// quantities of one kind it relates (images a second, multiply-adds a second, durations), a factor below 1 called
/// "faster", and "both"/"the other"/"all N" against the core count the sentence states. Only sentences with a live
/// figure (a course number) are read: the rest of the text is fixed and reviewed as text.
/// </summary>
public static partial class SentenceChecks
{
    /// <summary>A quantity in a sentence: its kind, its value in one unit per kind, and where it stands.</summary>
    private sealed record Quantity(string Kind, double Value, int At);

    public static IReadOnlyList<string> Contradictions(string html)
    {
        var problems = new List<string>();
        foreach (var sentence in Sentences(html))
        {
            if (!sentence.Live) continue;
            var text = sentence.Text;
            var quantities = Quantities(text);
            foreach (Match claim in Factor().Matches(text))
            {
                var factor = Number(claim.Groups["n"].Value);
                var word = claim.Groups["word"].Value;
                if (factor < 1)
                    problems.Add($"\"{claim.Value}\": a factor below 1 cannot be {word}: {text}");
                // The quantities of one kind the claim relates: the nearest one before it and the nearest after it.
                var kinds = quantities.GroupBy(q => q.Kind).Where(g => g.Count() >= 2);
                foreach (var kind in kinds)
                {
                    // "A ..., R faster than B", or "A against B, R faster": the nearest on each side, else the two nearest before.
                    var earlier = kind.Where(q => q.At < claim.Index).ToList();
                    var later = kind.Where(q => q.At > claim.Index + claim.Length - 1).ToList();
                    var (before, after) = (earlier.Count, later.Count) switch
                    {
                        ( > 0, > 0) => (earlier[^1], later[0]),
                        ( >= 2, 0) => (earlier[^2], earlier[^1]),
                        (0, >= 2) => (later[0], later[1]),
                        _ => (null, null),
                    };
                    if (before is null || after is null) continue;
                    var (big, small) = (Math.Max(before.Value, after.Value), Math.Min(before.Value, after.Value));
                    if (small <= 0) continue;
                    // With more than two ("589 one at a time, ..., 9,053 at batch 64: 15.4 times as many"), some pair must bear the factor out.
                    var pairs = kind.Count() == 2 ? [(big, small)] : kind.SelectMany(a => kind.Where(b => b.Value > 0 && a.Value >= b.Value).Select(b => (a.Value, b.Value))).ToList();
                    if (!pairs.Any(p => Close(factor, p.Item1 / p.Item2)))
                        problems.Add($"\"{claim.Value}\" but the figures it compares differ {big / small:0.##}x: {text}");
                    if (kind.Count() == 2 && Direction(word, kind.Key) is { } firstIsLarger && firstIsLarger != before.Value > after.Value && before.Value != after.Value)
                        problems.Add($"\"{claim.Value}\" says the first figure is {(firstIsLarger ? "larger" : "smaller")} than the second: {text}");
                }
            }
            foreach (Match same in AboutTheSame().Matches(text))
            {
                var kind = quantities.GroupBy(q => q.Kind).FirstOrDefault(g => g.Count() >= 2);
                if (kind is null) continue;
                var (a, b) = (kind.Where(q => q.At < same.Index).LastOrDefault(), kind.FirstOrDefault(q => q.At > same.Index));
                if (a is not null && b is not null && !Close(Math.Max(a.Value, b.Value) / Math.Min(a.Value, b.Value), 1, 0.1))
                    problems.Add($"\"{same.Value}\" but the figures differ {Math.Max(a.Value, b.Value) / Math.Min(a.Value, b.Value):0.##}x: {text}");
            }
            var cores = quantities.Where(q => q.Kind == "cores").Select(q => q.Value).ToList();
            if (BothOrOther().IsMatch(text) && (cores.Count == 0 ? CoreWords().IsMatch(text) : cores.Any(c => c != 2)))
                problems.Add($"\"both\"/\"the other\" said of cores while this server has {(cores.Count == 0 ? "a number the sentence does not give" : string.Join(", ", cores))}: {text}");
            foreach (Match all in AllCores().Matches(text))
                if (cores.Any(c => c != Number(all.Groups["n"].Value)))
                    problems.Add($"\"{all.Value}\" while the sentence's live core count is {string.Join(", ", cores)}: {text}");
        }
        return problems;
    }

    /// <summary>True when a claim of this word says the quantity before it is the larger; null when the word says no direction.</summary>
    private static bool? Direction(string word, string kind) => (word, kind) switch
    {
        ("faster", "duration") or ("shorter", _) => false, // a faster time is a shorter one
        ("slower", "duration") or ("longer", _) => true,
        ("more" or "faster" or "larger" or "higher", _) => true,
        ("fewer" or "slower" or "less" or "smaller" or "lower", _) => false,
        _ => null,
    };

    private static bool Close(double a, double b, double tolerance = 0.12) => Math.Abs(a - b) <= tolerance * Math.Max(a, b) + 0.051;

    private sealed record Sentence(string Text, bool Live);

    /// <summary>The rendered prose as sentences of words, each marked whether it holds a live figure.</summary>
    private static IEnumerable<Sentence> Sentences(string html)
    {
        const string Mark = "\u2063"; // an invisible separator marks where a live figure stood
        var marked = Regex.Replace(html, "<(span|a)[^>]*class=\"course-number[^\"]*\"[^>]*>", Mark);
        var words = WebUtility.HtmlDecode(Regex.Replace(marked, "<[^>]+>", " "));
        words = Regex.Replace(words, @"\s+", " ");
        foreach (var part in SentenceEnd().Split(words))
            if (part.Trim().Length > 0)
                yield return new(part.Replace(Mark, "").Trim(), part.Contains(Mark));
    }

    private static List<Quantity> Quantities(string text)
    {
        var found = new List<Quantity>();
        foreach (Match m in Rate().Matches(text)) found.Add(new("images a second", Number(m.Groups["n"].Value), m.Index));
        foreach (Match m in Gmacs().Matches(text)) found.Add(new("multiply-adds a second", Number(m.Groups["n"].Value), m.Index));
        foreach (Match m in Duration().Matches(text))
        {
            var unit = m.Groups["unit"].Value;
            var scale = unit switch
            {
                "µs" => 1e-6, "ms" => 1e-3, "s" or "second" or "seconds" => 1, "min" or "minute" or "minutes" => 60,
                "h" or "hour" or "hours" => 3600, _ => 86400,
            };
            found.Add(new("duration", Number(m.Groups["n"].Value) * scale, m.Index));
        }
        foreach (Match m in Cores().Matches(text)) found.Add(new("cores", Number(m.Groups["n"].Value), m.Index));
        return [.. found.OrderBy(q => q.At)];
    }

    private static double Number(string text) => double.Parse(text.Replace(",", ""), CultureInfo.InvariantCulture);

    private const string N = @"(?<n>\d[\d,]*(?:\.\d+)?)";

    [GeneratedRegex(@"(?<=[.!?])\s+(?=[A-Z\u2063])")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(N + @"\u2063?\s*(?:×|times)\s+(?:as many|as much|(?<word>faster|slower|fewer|more|less|larger|smaller|longer|shorter|higher|lower))")]
    private static partial Regex Factor();

    [GeneratedRegex(@"about as (?:many|much|fast)")]
    private static partial Regex AboutTheSame();

    [GeneratedRegex(N + @"\s+images a second")]
    private static partial Regex Rate();

    [GeneratedRegex(N + @"\s+billion multiply-adds a second")]
    private static partial Regex Gmacs();

    [GeneratedRegex(N + @"\s*(?<unit>µs|ms|s|min|h|seconds?|minutes?|hours?|days?)\b(?! a second)")]
    private static partial Regex Duration();

    [GeneratedRegex(N + @"(?:\s+|-)(?:logical\s+)?cores?\b")]
    private static partial Regex Cores();

    [GeneratedRegex(@"\bboth\b(?=[^.]*\bcores?\b)|\bthe other core\b", RegexOptions.IgnoreCase)]
    private static partial Regex BothOrOther();

    [GeneratedRegex(@"\bcores?\b", RegexOptions.IgnoreCase)]
    private static partial Regex CoreWords();

    [GeneratedRegex(@"\ball (?<n>\d+) cores\b", RegexOptions.IgnoreCase)]
    private static partial Regex AllCores();
}
