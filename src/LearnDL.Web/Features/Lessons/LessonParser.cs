using System.Text.RegularExpressions;
using LearnDL.Training.Precision;
using Markdig;
using Markdig.Syntax;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace LearnDL.Web.Features.Lessons;

/// <summary>
/// Reads a lesson file: YAML front matter (slug, title, order, summary, goals, recap, figures,
/// presets, questions, sources), then Markdown. A line <c>{{figure NAME}}</c>, <c>{{try-it NAME}}</c>,
/// <c>{{check ID}}</c> or <c>{{demo NAME}}</c> places that block. In the text, <c>[[src:ID]]</c> cites
/// one of the lesson's sources and <c>[[NAME]]</c> places a figure (<see cref="CourseNumbers"/>).
/// A mistake names the file and the line.
/// </summary>
public static partial class LessonParser
{
    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();
    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance).Build();

    public static Lesson Parse(string path)
    {
        var file = Path.GetFileName(path);
        var text = File.ReadAllText(path).ReplaceLineEndings("\n");
        var match = FrontMatter().Match(text);
        if (!match.Success) throw new InvalidDataException($"{file} has no YAML front matter (--- ... ---).");
        FrontMatterData meta;
        try { meta = Yaml.Deserialize<FrontMatterData>(match.Groups[1].Value) ?? new FrontMatterData(); }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{file}: the front matter is not valid at line {e.Start.Line + 1}: {e.InnerException?.Message ?? e.Message}");
        }
        var slug = string.IsNullOrWhiteSpace(meta.Slug) ? Path.GetFileNameWithoutExtension(path) : meta.Slug;
        if (string.IsNullOrWhiteSpace(meta.Title)) throw new InvalidDataException($"{file} has no title.");
        foreach (var q in meta.Questions)
            if (q.Answers.Count(a => a.Correct) != 1 || q.Answers.Count < 2 || q.Answers.Any(a => string.IsNullOrWhiteSpace(a.Why)))
                throw new InvalidDataException($"{file}: question '{q.Id}' needs at least two answers, exactly one correct, and a 'why' for each.");
        foreach (var source in meta.Sources)
            if (string.IsNullOrWhiteSpace(source.Id) || string.IsNullOrWhiteSpace(source.Text))
                throw new InvalidDataException($"{file}: every source needs an id and a text that names the work.");
        if (meta.Sources.GroupBy(s => s.Id).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidDataException($"{file}: the source '{twice.Key}' is listed twice.");
        foreach (var preset in meta.Presets)
        {
            var problems = preset.ToRequest().Validate().ToList();
            if (!NetworkPrecisions.TryParse(preset.Precision, out _)) problems.Add($"precision must be fp32 or int8, not '{preset.Precision}'.");
            if (problems.Count > 0) throw new InvalidDataException($"{file}: preset '{preset.Name}' is not a run this app would start: {string.Join(" ", problems)}");
        }
        foreach (var preset in meta.Presets.Where(p => p.Predict is not null))
            if (PredictionMetrics.Find(preset.Predict!.Metric) is null || string.IsNullOrWhiteSpace(preset.Predict.Question))
                throw new InvalidDataException($"{file}: preset '{preset.Name}' predicts '{preset.Predict.Metric}'; it needs a question and one of: {string.Join(", ", PredictionMetrics.All.Select(m => m.Id))}.");

        var body = text[match.Length..];
        int LineOf(int index) => body[..index].Count(c => c == '\n') + match.Value.Count(c => c == '\n') + 1;
        foreach (Match token in InlineToken().Matches(body))
        {
            var name = token.Groups[1].Value;
            if (name.StartsWith("src:", StringComparison.Ordinal))
            {
                if (!meta.Sources.Any(s => s.Id == name[4..]))
                    throw new InvalidDataException($"{file} line {LineOf(token.Index)}: the source '{name[4..]}' is not in the front matter's sources.");
            }
            else if (!CourseNumbers.Names.Contains(name))
                throw new InvalidDataException($"{file} line {LineOf(token.Index)}: there is no course figure called '{name}' (see CourseNumbers).");
        }
        // A block written inside a paragraph would be shown as text: each must stand on a line of its own.
        var lines = body.Split('\n');
        for (var i = 0; i < lines.Length; i++)
            if (InlineDirective().IsMatch(lines[i]) && !Directive().IsMatch(lines[i]))
                throw new InvalidDataException($"{file} line {LineOf(0) + i}: '{lines[i].Trim()}' puts a block inside a paragraph: give {{{{figure|try-it|check|demo NAME}}}} a line of its own, with blank lines around it.");
        var blocks = new List<LessonBlock>();
        int last = 0;
        foreach (Match directive in Directive().Matches(body))
        {
            AddProse(blocks, body[last..directive.Index], meta.Sources);
            var (kind, name) = (directive.Groups[1].Value, directive.Groups[2].Value);
            string Missing(string what) => $"{file} line {LineOf(directive.Index)}: {kind} '{name}' is not defined {what}.";
            blocks.Add(kind switch
            {
                "figure" => new FigureBlock(meta.Figures.FirstOrDefault(f => f.Name == name) ?? throw new InvalidDataException(Missing("in the front matter's figures"))),
                "try-it" => new TryItBlock(meta.Presets.FirstOrDefault(p => p.Name == name) ?? throw new InvalidDataException(Missing("in the front matter's presets"))),
                "check" => new CheckBlock(meta.Questions.FirstOrDefault(q => q.Id == name) ?? throw new InvalidDataException(Missing("in the front matter's questions"))),
                _ => LessonDemos.Known.Contains(name) ? new DemoBlock(name) : throw new InvalidDataException(Missing($"(demonstrations: {string.Join(", ", LessonDemos.Known)})")),
            });
            last = directive.Index + directive.Length;
        }
        AddProse(blocks, body[last..], meta.Sources);
        return new(slug, meta.Title, meta.Order, meta.Summary, meta.Goals, meta.Recap, blocks) { Sources = meta.Sources };
    }

    private static void AddProse(List<LessonBlock> blocks, string markdown, IReadOnlyList<LessonSource> sources)
    {
        if (string.IsNullOrWhiteSpace(markdown)) return;
        var document = Markdig.Markdown.Parse(markdown, Markdown);
        var words = document.Descendants<Markdig.Syntax.Inlines.LiteralInline>()
            .Sum(l => l.Content.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        var html = Citation().Replace(document.ToHtml(Markdown), m =>
        {
            var index = sources.ToList().FindIndex(s => s.Id == m.Groups[1].Value);
            var label = System.Net.WebUtility.HtmlEncode($"source {index + 1}: {sources[index].Text}");
            return $"<sup class=\"cite\"><a href=\"#source-{sources[index].Id}\" aria-label=\"{label}\">[{index + 1}]</a></sup>";
        });
        blocks.Add(new ProseBlock(html, words, markdown));
    }

    private sealed class FrontMatterData
    {
        public string Slug { get; set; } = "";
        public string Title { get; set; } = "";
        public int Order { get; set; }
        public string Summary { get; set; } = "";
        public List<string> Goals { get; set; } = [];
        public List<string> Recap { get; set; } = [];
        public List<LessonFigure> Figures { get; set; } = [];
        public List<LessonPreset> Presets { get; set; } = [];
        public List<CheckQuestion> Questions { get; set; } = [];
        public List<LessonSource> Sources { get; set; } = [];
    }

    [GeneratedRegex(@"\A---\n(.*?)\n---\n", RegexOptions.Singleline)]
    private static partial Regex FrontMatter();

    [GeneratedRegex(@"\{\{(figure|try-it|check|demo)\s")]
    private static partial Regex InlineDirective();

    [GeneratedRegex(@"^\{\{(figure|try-it|check|demo)\s+([\w-]+)\s*\}\}\s*$", RegexOptions.Multiline)]
    private static partial Regex Directive();

    /// <summary><c>[[src:ID]]</c> or <c>[[NAME]]</c> in a lesson's text.</summary>
    [GeneratedRegex(@"\[\[([a-z0-9][a-z0-9.:\-]*)\]\]")]
    public static partial Regex InlineToken();

    [GeneratedRegex(@"\[\[src:([a-z0-9][a-z0-9.\-]*)\]\]")]
    public static partial Regex Citation();
}
