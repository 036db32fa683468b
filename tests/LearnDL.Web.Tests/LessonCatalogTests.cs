using LearnDL.Training.Compute;
using LearnDL.Web.Features.Lessons;

namespace LearnDL.Web.Tests;

public class LessonCatalogTests
{
    [Fact]
    public void Parse_FrontMatterMarkdownAndTryItBlocks()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "x.md");
        File.WriteAllText(path, """
            ---
            slug: demo
            title: Demo
            order: 7
            summary: A demo.
            presets:
              - name: quick
                label: a quick run
                images: 24
                epochs: 1
                device: auto
            ---
            ## Before

            {{try-it quick}}

            After, with ![a picture](/content/x.svg).
            """);
        var lesson = LessonCatalog.Parse(path);
        Assert.Equal(("demo", "Demo", 7, "A demo."), (lesson.Slug, lesson.Title, lesson.Order, lesson.Summary));
        Assert.Equal(3, lesson.Parts.Count);
        Assert.Contains("<h2", lesson.Parts[0].Html);
        var request = lesson.Parts[1].TryIt!.ToRequest();
        Assert.Equal((24, 1, DeviceRequest.Auto, "builtin"), (request.Images, request.Epochs, request.Device, request.Dataset));
        Assert.Contains("src=\"/content/x.svg\"", lesson.Parts[2].Html);
    }

    [Fact]
    public void Parse_UnknownPresetOrNoFrontMatter_SaysWhichFile()
    {
        using var temp = new TempFolder();
        var bad = Path.Combine(temp.Path, "bad.md");
        File.WriteAllText(bad, "---\ntitle: Bad\n---\n{{try-it missing}}\n");
        Assert.Contains("'missing'", Assert.Throws<InvalidDataException>(() => LessonCatalog.Parse(bad)).Message);
        var plain = Path.Combine(temp.Path, "plain.md");
        File.WriteAllText(plain, "# no front matter");
        Assert.Contains("plain.md", Assert.Throws<InvalidDataException>(() => LessonCatalog.Parse(plain)).Message);
    }

    [Fact]
    public void RepositoryLessons_AreOrderedAndLinked()
    {
        var catalog = new LessonCatalog(Path.Combine(AppContext.BaseDirectory, "lessons"));
        Assert.Equal(["cpu-vs-gpu", "do-you-need-a-gpu", "same-script-cpu-or-gpu-build"], catalog.All.Select(l => l.Slug));
        var (previous, next) = catalog.Neighbours(catalog.Find("do-you-need-a-gpu")!);
        Assert.Equal("cpu-vs-gpu", previous!.Slug);
        Assert.Equal("same-script-cpu-or-gpu-build", next!.Slug);
        Assert.All(catalog.All, l => Assert.Contains(l.Parts, p => p.TryIt is not null));
    }
}
