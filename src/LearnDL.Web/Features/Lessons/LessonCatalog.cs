namespace LearnDL.Web.Features.Lessons;

/// <summary>The course: every lesson in lessons/*.md, in order, checked as a whole when loaded; and its glossary (lessons/glossary/terms.md).</summary>
public sealed class LessonCatalog(string folder)
{
    private readonly Lazy<IReadOnlyList<Lesson>> _lessons = new(() => Load(folder));
    private readonly Lazy<Glossary> _glossary = new(() => Glossary.Load(Path.Combine(folder, "glossary", "terms.md")));

    public IReadOnlyList<Lesson> All => _lessons.Value;

    public Glossary Glossary => _glossary.Value;

    public Lesson? Find(string slug) => All.FirstOrDefault(l => l.Slug.Equals(slug, StringComparison.OrdinalIgnoreCase));

    public (Lesson? Previous, Lesson? Next) Neighbours(Lesson lesson)
    {
        var i = All.ToList().IndexOf(lesson);
        return (i > 0 ? All[i - 1] : null, i >= 0 && i < All.Count - 1 ? All[i + 1] : null);
    }

    /// <summary>Where the check question <paramref name="questionId"/> of <paramref name="slug"/> is kept in progress records.</summary>
    public static string QuestionKey(string slug, string questionId) => $"{slug}/{questionId}";

    private static List<Lesson> Load(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        var lessons = Directory.GetFiles(folder, "*.md").Select(LessonParser.Parse).OrderBy(l => l.Order).ThenBy(l => l.Slug).ToList();
        var duplicate = lessons.GroupBy(l => l.Slug, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"Two lessons have the slug '{duplicate.Key}'.");
        var orders = lessons.Select(l => l.Order).ToList();
        if (!orders.SequenceEqual(Enumerable.Range(1, lessons.Count)))
            throw new InvalidDataException($"Lesson orders must run 1, 2, 3... without gaps; found {string.Join(", ", orders)}.");
        foreach (var lesson in lessons)
        {
            var ids = lesson.Questions.Select(q => q.Id).ToList();
            if (ids.Count != ids.Distinct().Count()) throw new InvalidDataException($"Lesson '{lesson.Slug}' uses a question id twice.");
        }
        return lessons;
    }
}
