using System.Text.RegularExpressions;
using Markdig;
using Markdig.Syntax;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace LearnDL.Web.Features.Lessons;

/// <summary>
/// Reads a lesson file: YAML front matter (slug, title, order, summary, goals, recap, figures,
/// presets, questions), then Markdown. A line <c>{{figure NAME}}</c>, <c>{{try-it NAME}}</c>,
/// <c>{{check ID}}</c> or <c>{{demo NAME}}</c> places that block; a mistake names the file and the line.
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

        var body = text[match.Length..];
        var blocks = new List<LessonBlock>();
        int last = 0;
        foreach (Match directive in Directive().Matches(body))
        {
            AddProse(blocks, body[last..directive.Index]);
            var (kind, name) = (directive.Groups[1].Value, directive.Groups[2].Value);
            string Missing(string what) => $"{file} line {body[..directive.Index].Count(c => c == '\n') + match.Value.Count(c => c == '\n') + 1}: {kind} '{name}' is not defined {what}.";
            blocks.Add(kind switch
            {
                "figure" => new FigureBlock(meta.Figures.FirstOrDefault(f => f.Name == name) ?? throw new InvalidDataException(Missing("in the front matter's figures"))),
                "try-it" => new TryItBlock(meta.Presets.FirstOrDefault(p => p.Name == name) ?? throw new InvalidDataException(Missing("in the front matter's presets"))),
                "check" => new CheckBlock(meta.Questions.FirstOrDefault(q => q.Id == name) ?? throw new InvalidDataException(Missing("in the front matter's questions"))),
                _ => LessonDemos.Known.Contains(name) ? new DemoBlock(name) : throw new InvalidDataException(Missing($"(demonstrations: {string.Join(", ", LessonDemos.Known)})")),
            });
            last = directive.Index + directive.Length;
        }
        AddProse(blocks, body[last..]);
        return new(slug, meta.Title, meta.Order, meta.Summary, meta.Goals, meta.Recap, blocks);
    }

    private static void AddProse(List<LessonBlock> blocks, string markdown)
    {
        if (string.IsNullOrWhiteSpace(markdown)) return;
        var document = Markdig.Markdown.Parse(markdown, Markdown);
        var words = document.Descendants<Markdig.Syntax.Inlines.LiteralInline>()
            .Sum(l => l.Content.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        blocks.Add(new ProseBlock(document.ToHtml(Markdown), words));
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
    }

    [GeneratedRegex(@"\A---\n(.*?)\n---\n", RegexOptions.Singleline)]
    private static partial Regex FrontMatter();

    [GeneratedRegex(@"^\{\{(figure|try-it|check|demo)\s+([\w-]+)\s*\}\}\s*$", RegexOptions.Multiline)]
    private static partial Regex Directive();
}
