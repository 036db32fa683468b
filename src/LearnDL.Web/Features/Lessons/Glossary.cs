using System.Net;
using System.Text.RegularExpressions;
using Markdig;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace LearnDL.Web.Features.Lessons;

/// <summary>A word the course uses in its own sense, the forms it takes in the text, and the lesson that teaches it.</summary>
public sealed class GlossaryTerm
{
    public string Id { get; set; } = "";
    public string Term { get; set; } = "";
    /// <summary>How the word appears in lessons ("epoch", "epochs"), matched as whole words, any case.</summary>
    public List<string> Forms { get; set; } = [];
    /// <summary>The slug of the lesson whose text defines it (in bold, where it is first explained).</summary>
    public string Lesson { get; set; } = "";
    public string Definition { get; set; } = "";
    public string Url => "/glossary#" + Id;
}

/// <summary>The course's glossary: lessons/glossary/terms.md, front matter <c>terms:</c> and an introduction in Markdown.</summary>
public sealed class Glossary(IReadOnlyList<GlossaryTerm> terms, string introductionHtml)
{
    public static readonly Glossary Empty = new([], "");

    public IReadOnlyList<GlossaryTerm> Terms { get; } = terms;
    public string IntroductionHtml { get; } = introductionHtml;

    public GlossaryTerm? Find(string id) => Terms.FirstOrDefault(t => t.Id == id);

    /// <summary>The terms a lesson defines (for its "new words" panel), in glossary order.</summary>
    public IEnumerable<GlossaryTerm> DefinedIn(string slug) => Terms.Where(t => t.Lesson == slug);

    private sealed class Data
    {
        public List<GlossaryTerm> Terms { get; set; } = [];
    }

    public static Glossary Load(string path)
    {
        if (!File.Exists(path)) return Empty;
        var text = File.ReadAllText(path).ReplaceLineEndings("\n");
        var match = Regex.Match(text, @"\A---\n(.*?)\n---\n", RegexOptions.Singleline);
        if (!match.Success) throw new InvalidDataException($"{Path.GetFileName(path)} has no YAML front matter.");
        var data = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<Data>(match.Groups[1].Value) ?? new Data();
        foreach (var term in data.Terms)
            if (string.IsNullOrWhiteSpace(term.Id) || string.IsNullOrWhiteSpace(term.Term) || string.IsNullOrWhiteSpace(term.Definition) || term.Forms.Count == 0)
                throw new InvalidDataException($"{Path.GetFileName(path)}: term '{term.Id}' needs an id, the term, its forms and a definition.");
        if (data.Terms.GroupBy(t => t.Id).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidDataException($"{Path.GetFileName(path)}: the term '{twice.Key}' is there twice.");
        var intro = Markdown.ToHtml(text[match.Length..], new MarkdownPipelineBuilder().UseAdvancedExtensions().Build());
        return new(data.Terms, intro);
    }
}

/// <summary>Where a glossary term appears in a lesson's text, and how.</summary>
public sealed record TermUse(GlossaryTerm Term, Lesson Lesson, string Context, bool Linked, bool Defined);

/// <summary>
/// Reads the course as a learner does, lesson after lesson, and finds each term's uses, in the prose and in
/// the pictures' words and check questions around it. Until a learner has reached the definition (in bold,
/// in the lesson the glossary names), the first use of the term in each lesson must link to its glossary
/// entry; the uses after that link, in the same lesson, may not. A picture's words or a question cannot
/// link: they must come after the definition or a linked use, or do without the term.
/// </summary>
public static partial class GlossaryCheck
{
    /// <summary>
    /// A term's uses in a lesson, in reading order: its prose (where a use may link to the glossary or
    /// define the term in bold) and the plain text a learner also reads, which cannot link: picture alt
    /// text and captions, check questions, their answers and the explanations of each answer.
    /// </summary>
    public static IEnumerable<TermUse> Uses(GlossaryTerm term, Lesson lesson)
    {
        var pattern = new Regex(@"\b(" + string.Join("|", term.Forms.OrderByDescending(f => f.Length).Select(Regex.Escape)) + @")\b", RegexOptions.IgnoreCase);
        foreach (var block in lesson.Blocks)
        {
            var uses = block switch
            {
                ProseBlock prose => InProse(term, lesson, pattern, prose.Html),
                FigureBlock figure => InPlainText(term, lesson, pattern, $"picture {figure.Figure.File}", figure.Figure.Caption, figure.Figure.Alt),
                CheckBlock check => InPlainText(term, lesson, pattern, $"question '{check.Question.Id}'",
                    [check.Question.Text, .. check.Question.Answers.SelectMany(a => new[] { a.Text, a.Why })]),
                _ => [],
            };
            foreach (var use in uses) yield return use;
        }
    }

    private static IEnumerable<TermUse> InPlainText(GlossaryTerm term, Lesson lesson, Regex pattern, string where, params string[] texts)
    {
        foreach (var text in texts)
            foreach (Match use in pattern.Matches(text))
                yield return new(term, lesson, $"{where}: " + Around(text, use), Linked: false, Defined: false);
    }

    private static string Around(string text, Match use)
    {
        var from = Math.Max(0, use.Index - 40);
        return text.Substring(from, Math.Min(text.Length - from, use.Length + 80)).ReplaceLineEndings(" ");
    }

    private static IEnumerable<TermUse> InProse(GlossaryTerm term, Lesson lesson, Regex pattern, string html)
    {
        // Walk the text outside tags, knowing which link, bold and code elements each piece is in.
        string? link = null;
        int strong = 0, code = 0;
        foreach (Match piece in Piece().Matches(html))
        {
            if (piece.Groups["tag"].Success)
            {
                var tag = piece.Groups["tag"].Value;
                if (tag.StartsWith("<a ", StringComparison.Ordinal)) link = Href().Match(tag) is { Success: true } h ? h.Groups[1].Value : "";
                else if (tag == "</a>") link = null;
                else if (tag is "<strong>") strong++;
                else if (tag is "</strong>") strong--;
                else if (tag.StartsWith("<code", StringComparison.Ordinal) || tag.StartsWith("<pre", StringComparison.Ordinal)) code++;
                else if (tag is "</code>" or "</pre>") code--;
                continue;
            }
            if (code > 0) continue;
            var text = WebUtility.HtmlDecode(piece.Groups["text"].Value);
            foreach (Match use in pattern.Matches(text))
                yield return new(term, lesson, Around(text, use), link == term.Url, strong > 0 && lesson.Slug == term.Lesson);
        }
    }

    /// <summary>Every place the course uses a term before a learner has met its definition, described for a failing test.</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<Lesson> lessons, Glossary glossary)
    {
        var problems = new List<string>();
        foreach (var term in glossary.Terms)
        {
            var home = lessons.FirstOrDefault(l => l.Slug == term.Lesson);
            if (home is null) { problems.Add($"'{term.Id}' says lesson '{term.Lesson}' defines it: there is no such lesson."); continue; }
            var defined = false;
            foreach (var lesson in lessons.Where(l => l.Order <= home.Order))
            {
                var linked = false;
                foreach (var use in Uses(term, lesson))
                {
                    if (use.Defined) { defined = true; continue; }
                    linked |= use.Linked;
                    if (!defined && !linked)
                        problems.Add($"'{term.Term}' is used in lesson {lesson.Order} before lesson {home.Order} defines it, without a link to the glossary: \"…{use.Context}…\"");
                }
            }
            if (!defined) problems.Add($"lesson {home.Order} ({home.Slug}) never defines '{term.Term}' in bold, as the glossary says it does.");
        }
        return problems;
    }

    [GeneratedRegex(@"(?<tag><[^>]+>)|(?<text>[^<]+)")]
    private static partial Regex Piece();

    [GeneratedRegex("href=\"([^\"]*)\"")]
    private static partial Regex Href();
}
