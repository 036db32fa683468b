using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace LearnDL.Web.Features.Lessons;

/// <summary>
/// What the course's tests check in every lesson, beyond its shape: that each measured-looking number
/// is sourced, and that each picture, its alt text and its caption describe the same thing.
/// </summary>
public static partial class LessonChecks
{
    /// <summary>
    /// Numbers with a unit of time, speed, memory, compute, money or a speed-up ("42 minutes", "9,053
    /// images a second", "16 GB", "8× faster") in a lesson's text that are neither a course figure
    /// (<c>[[NAME]]</c>), nor in a paragraph, list item or table row that cites a source
    /// (<c>[[src:ID]]</c>), nor worked out in the sentence itself ("... × ... = 36 GB").
    /// </summary>
    public static IReadOnlyList<string> UnsourcedNumbers(Lesson lesson)
    {
        var problems = new List<string>();
        foreach (var block in lesson.Blocks.OfType<ProseBlock>())
            foreach (var unit in Units(block.Markdown))
            {
                if (unit.Contains("[[src:", StringComparison.Ordinal)) continue;
                var text = CourseNumbers.Token().Replace(unit, "§");
                foreach (Match m in Measurement().Matches(text))
                {
                    if (IsWorkedOut(text, m.Index)) continue;
                    problems.Add($"{lesson.Slug}: \"{m.Value.Trim()}\" in \"{Shorten(unit)}\" is not a course figure and cites no source.");
                }
            }
        return problems;
    }

    /// <summary>Measured-looking numbers in a line of front matter (summary, goals, recap), which cannot cite: they belong in the text.</summary>
    public static IEnumerable<string> MeasurementsIn(string text) => Measurement().Matches(text).Select(m => m.Value.Trim());

    /// <summary>Paragraphs, list items, table rows and headings, without code.</summary>
    private static IEnumerable<string> Units(string markdown)
    {
        var text = Fence().Replace(markdown, "\n");
        text = InlineCode().Replace(text, "code");
        foreach (var paragraph in Regex.Split(text, @"\n\s*\n"))
        {
            string? current = null;
            foreach (var line in paragraph.Split('\n'))
            {
                if (ItemStart().IsMatch(line))
                {
                    if (current is not null) yield return current;
                    current = line;
                }
                else current = current is null ? line : current + " " + line.Trim();
            }
            if (!string.IsNullOrWhiteSpace(current)) yield return current;
        }
    }

    /// <summary>A number right after "=" or "≈" in a sentence that shows the arithmetic (×, / or ÷) is derived in the text.</summary>
    private static bool IsWorkedOut(string text, int index)
    {
        var start = Math.Max(text.LastIndexOf(". ", index, StringComparison.Ordinal), 0);
        var before = text[start..index].TrimEnd();
        return (before.EndsWith('=') || before.EndsWith('≈')) && before.IndexOfAny(['×', '/', '÷']) >= 0;
    }

    private static string Shorten(string text) => text.Length <= 140 ? text.Trim() : text.Trim()[..137] + "...";

    /// <summary>Problems with one of a lesson's pictures, given the SVG's source.</summary>
    public static IReadOnlyList<string> FigureProblems(LessonFigure figure, string svg)
    {
        var problems = new List<string>();
        if (figure.Alt.Length <= 40) problems.Add($"{figure.File}: the alt text must describe the picture (more than 40 characters).");
        if (string.IsNullOrWhiteSpace(figure.Caption)) problems.Add($"{figure.File}: no caption.");
        string drawn;
        try { drawn = DrawnText(svg); }
        catch (System.Xml.XmlException e) { return [.. problems, $"{figure.File} is not well-formed SVG: {e.Message}"]; }
        if (figure.Keywords.Count == 0) problems.Add($"{figure.File}: name the keywords its drawing, alt text and caption share.");
        foreach (var keyword in figure.Keywords)
            foreach (var (what, text) in new[] { ("drawing", drawn), ("alt text", figure.Alt), ("caption", figure.Caption) })
                if (!text.Contains(keyword, StringComparison.OrdinalIgnoreCase))
                    problems.Add($"{figure.File}: the {what} does not say '{keyword}'.");
        var drawnNumbers = Numbers(drawn).ToHashSet();
        foreach (var number in Numbers(figure.Alt).Where(n => !drawnNumbers.Contains(n)))
            problems.Add($"{figure.File}: the alt text says {number}, which the drawing does not show.");
        return problems;
    }

    /// <summary>
    /// Bars that are not drawn to scale. A chart is a group with <c>data-scale="linear"</c> (bar length =
    /// <c>data-px</c> × value) or <c>data-scale="log"</c> (bar length = <c>data-px-per-decade</c> × log10(value /
    /// <c>data-from</c>)); each bar is a rect with its <c>data-value</c>, starting at <c>data-x</c>. A linear chart
    /// whose values span more than 100 times must use a log axis: its small bars would not show.
    /// </summary>
    public static IReadOnlyList<string> ScaleProblems(string file, string svg)
    {
        static double D(XElement e, string name) => double.Parse((string?)e.Attribute(name) ?? throw new InvalidDataException($"no {name}"), System.Globalization.CultureInfo.InvariantCulture);
        var problems = new List<string>();
        foreach (var chart in XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "g" && e.Attribute("data-scale") is not null))
        {
            var bars = chart.Descendants().Where(e => e.Name.LocalName == "rect" && e.Attribute("data-value") is not null).ToList();
            if (bars.Count == 0) { problems.Add($"{file}: a chart with no bars (rects with data-value)."); continue; }
            var log = (string?)chart.Attribute("data-scale") == "log";
            var values = bars.Select(b => D(b, "data-value")).ToList();
            if (!log && values.Max() / values.Where(v => v > 0).DefaultIfEmpty(1).Min() > 100)
                problems.Add($"{file}: its values span {values.Max() / values.Min():0}×, more than 100×, on a linear axis: draw it on a log axis.");
            foreach (var bar in bars)
            {
                var value = D(bar, "data-value");
                var expected = log ? D(chart, "data-px-per-decade") * Math.Log10(value / D(chart, "data-from")) : D(chart, "data-px") * value;
                if (Math.Abs(D(bar, "width") - expected) > 0.6 || Math.Abs(D(bar, "x") - D(chart, "data-x")) > 0.6)
                    problems.Add($"{file}: the bar for {value} is {D(bar, "width"):0.#} px long from x = {D(bar, "x"):0.#}; to scale it would be {expected:0.#} px from {D(chart, "data-x"):0.#}.");
            }
        }
        return problems;
    }

    /// <summary>
    /// Citations that quote a title it is not: a source whose text names an issue or pull request by number
    /// must link to that number, and a title it quotes (in "double quotes") must be the one recorded for
    /// its address in lessons/citations.txt (checked against the page when the source was added).
    /// </summary>
    public static IReadOnlyList<string> CitationProblems(Lesson lesson, IReadOnlyDictionary<string, string> recordedTitles)
    {
        var problems = new List<string>();
        foreach (var source in lesson.Sources)
        {
            foreach (Match named in NamedNumber().Matches(source.Text))
                if (!source.Url.Contains("/" + named.Groups[2].Value, StringComparison.Ordinal))
                    problems.Add($"{lesson.Slug}: source '{source.Id}' names {named.Value} but links to {(source.Url == "" ? "nothing" : source.Url)}.");
            var quoted = QuotedTitle().Matches(source.Text).Select(m => m.Groups[1].Value).ToList();
            if (quoted.Count == 0 || source.Url == "") continue;
            if (!recordedTitles.TryGetValue(source.Url, out var title))
                problems.Add($"{lesson.Slug}: source '{source.Id}' quotes a title for {source.Url}, which lessons/citations.txt does not record: check the page and add its title there.");
            else if (!quoted.Contains(title))
                problems.Add($"{lesson.Slug}: source '{source.Id}' quotes \"{quoted[0]}\", but the title of {source.Url} is \"{title}\".");
        }
        return problems;
    }

    /// <summary>lessons/citations.txt: one "address | title" a line, as read on the page.</summary>
    public static IReadOnlyDictionary<string, string> LoadCitationTitles(string path) =>
        File.ReadAllLines(path).Where(l => l.Contains(" | ", StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split(" | ", 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim());

    [GeneratedRegex(@"\b(issue|pull request)\s+(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex NamedNumber();

    [GeneratedRegex("\"([^\"]{8,})\"")]
    private static partial Regex QuotedTitle();

    /// <summary>Everything an SVG writes: its title and its text elements.</summary>
    public static string DrawnText(string svg)
    {
        var root = XDocument.Parse(svg).Root!;
        return string.Join(" ", root.Descendants().Where(e => e.Name.LocalName is "text" or "title" or "tspan" && !e.Elements().Any()).Select(e => e.Value));
    }

    /// <summary>The numbers a text writes, by value: "118.0" and "118" are the same number.</summary>
    private static IEnumerable<string> Numbers(string text) => NumberToken().Matches(text)
        .Select(m => double.Parse(m.Value.Replace(",", "").TrimEnd('.'), System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex("""
        (?<![\w.,])
        (?:
            \$\s?\d[\d,]*(?:\.\d+)?
          | \d[\d,]*(?:\.\d+)?(?:\s*(?:to|-|–)\s*\d[\d,]*(?:\.\d+)?)?
            (?:
                \s*(?:µs|ms|%|[KMGT]i?B(?:/s)?|TFLOPS|GFLOPS|TOPS|GHz|MHz)
              | \s+(?:s|h|W|min|seconds?|minutes?|hours?|days?|weeks?|percent|dollars?|cents?
                    |(?:[\w-]+\s+){0,2}(?:a|per)\s+second
                    |times\s+(?:faster|slower|as\s+fast|longer|shorter|more|less))
              | \s*×\s*(?:faster|slower|the\s+speed|longer|shorter)
            )
        )
        (?!\w)
        """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex Measurement();

    [GeneratedRegex(@"(?<![\w.])\d[\d,]*(?:\.\d+)?")]
    private static partial Regex NumberToken();

    [GeneratedRegex(@"```.*?```", RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"^\s*(?:[-*+]\s|\d+\.\s|\||#)")]
    private static partial Regex ItemStart();
}
