using System.Text.RegularExpressions;
using LearnDL.Training.Compute;
using LearnDL.Web.RunService;
using Markdig;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace LearnDL.Web.Features.Lessons;

/// <summary>A run a lesson offers to launch with one click.</summary>
public sealed class LessonPreset
{
    public string Name { get; set; } = "";
    public string Label { get; set; } = "";
    public string Dataset { get; set; } = "builtin";
    public int Images { get; set; } = 60;
    public int Epochs { get; set; } = 2;
    public string Device { get; set; } = "cpu";

    public RunRequest ToRequest() => new()
    {
        Dataset = Dataset, Images = Images, Epochs = Epochs,
        Device = DeviceNames.TryParse(Device, out var d) ? d : DeviceRequest.Auto,
        Shared = true,
    };
}

/// <summary>A piece of a lesson: Markdown rendered to HTML, or a "Try it" block.</summary>
public sealed record LessonPart(string? Html, LessonPreset? TryIt);

public sealed record Lesson(string Slug, string Title, int Order, string Summary, IReadOnlyList<LessonPreset> Presets, IReadOnlyList<LessonPart> Parts);

/// <summary>
/// The lessons in lessons/*.md: YAML front matter (slug, title, order, summary, presets), then
/// Markdown. A line <c>{{try-it NAME}}</c> embeds the preset NAME as a live experiment.
/// </summary>
public sealed partial class LessonCatalog(string folder)
{
    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();
    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance).IgnoreUnmatchedProperties().Build();

    private readonly Lazy<IReadOnlyList<Lesson>> _lessons = new(() => Load(folder));

    public IReadOnlyList<Lesson> All => _lessons.Value;

    public Lesson? Find(string slug) => All.FirstOrDefault(l => l.Slug.Equals(slug, StringComparison.OrdinalIgnoreCase));

    public (Lesson? Previous, Lesson? Next) Neighbours(Lesson lesson)
    {
        var i = All.ToList().IndexOf(lesson);
        return (i > 0 ? All[i - 1] : null, i >= 0 && i < All.Count - 1 ? All[i + 1] : null);
    }

    private static List<Lesson> Load(string folder) =>
        Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*.md").Select(Parse).OrderBy(l => l.Order).ThenBy(l => l.Slug).ToList()
            : [];

    internal static Lesson Parse(string path)
    {
        var text = File.ReadAllText(path).ReplaceLineEndings("\n");
        var match = FrontMatter().Match(text);
        if (!match.Success) throw new InvalidDataException($"{Path.GetFileName(path)} has no YAML front matter (--- ... ---).");
        var meta = Yaml.Deserialize<FrontMatterData>(match.Groups[1].Value) ?? new FrontMatterData();
        var slug = string.IsNullOrWhiteSpace(meta.Slug) ? Path.GetFileNameWithoutExtension(path) : meta.Slug;
        var body = text[match.Length..];
        var parts = new List<LessonPart>();
        int last = 0;
        foreach (Match tryIt in TryItLine().Matches(body))
        {
            parts.Add(new(Markdig.Markdown.ToHtml(body[last..tryIt.Index], Markdown), null));
            var preset = meta.Presets.FirstOrDefault(p => p.Name == tryIt.Groups[1].Value)
                ?? throw new InvalidDataException($"{Path.GetFileName(path)} uses preset '{tryIt.Groups[1].Value}', which its front matter does not define.");
            parts.Add(new(null, preset));
            last = tryIt.Index + tryIt.Length;
        }
        parts.Add(new(Markdig.Markdown.ToHtml(body[last..], Markdown), null));
        return new(slug, meta.Title, meta.Order, meta.Summary, meta.Presets, parts);
    }

    private sealed class FrontMatterData
    {
        public string Slug { get; set; } = "";
        public string Title { get; set; } = "";
        public int Order { get; set; }
        public string Summary { get; set; } = "";
        public List<LessonPreset> Presets { get; set; } = [];
    }

    [GeneratedRegex(@"\A---\n(.*?)\n---\n", RegexOptions.Singleline)]
    private static partial Regex FrontMatter();

    [GeneratedRegex(@"^\{\{try-it\s+([\w-]+)\s*\}\}\s*$", RegexOptions.Multiline)]
    private static partial Regex TryItLine();
}
