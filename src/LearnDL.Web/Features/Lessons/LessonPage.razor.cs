using LearnDL.Web.Features.Lessons.Demos;
using Microsoft.AspNetCore.Components;

namespace LearnDL.Web.Features.Lessons;

/// <summary>A lesson: its blocks in order, its figures filled in from this server and the reference file, its sources and new words.</summary>
public partial class LessonPage
{
    [Inject] public required LessonCatalog Catalog { get; set; }
    [Inject] public required LessonProgress Progress { get; set; }
    [Inject] public required NavigationManager Navigation { get; set; }
    [Inject] public required GpuReference Reference { get; set; }
    [Inject] public required MeasuredSpeeds Speeds { get; set; }

    [Parameter] public string Slug { get; set; } = "";

    private Lesson? _lesson, _previous, _next;
    private List<GlossaryTerm> _newWords = [];
    private CourseNumbers _numbers = null!;
    private string? _opened;
    private string _measureHref = CourseNumbers.DefaultMeasureHref;

    protected override async Task OnParametersSetAsync()
    {
        var lesson = Catalog.Find(Slug);
        if (lesson is null) { _lesson = null; Navigation.NotFound(); return; }
        // The figures first, so the page is never drawn without them.
        _numbers = new CourseNumbers(Reference, await ServerFigures.ReadAsync(Speeds));
        (_previous, _next) = Catalog.Neighbours(lesson);
        _newWords = Catalog.Glossary.DefinedIn(lesson.Slug).ToList();
        // A pending figure's button leads to this lesson's own Try-it, or to lesson 1's where it has none.
        _measureHref = lesson.Blocks.OfType<TryItBlock>().FirstOrDefault(t => t.Preset.Device == "cpu") is { } tryIt ? $"#try-it-{tryIt.Preset.Name}" : CourseNumbers.DefaultMeasureHref;
        _lesson = lesson;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_lesson is null) return;
        // Once per visit of a lesson (the class pulse counts openings); renders after it change nothing.
        if (_opened != _lesson.Slug)
        {
            _opened = _lesson.Slug;
            try { await Progress.OpenedAsync(_lesson); }
            catch (Identity.NotInClassException) { } // removed meanwhile: nothing is recorded, and the layout sends the page to /join
        }
    }
}
