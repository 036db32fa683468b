using LearnDL.Web.Features.Lessons.Demos;
using LearnDL.Web.Features.MyGpu;
using Microsoft.AspNetCore.Components;

namespace LearnDL.Web.Features.Lessons;

/// <summary>
/// A lesson: its blocks in order, its figures filled in from this server, the reference file and the learner's own card
/// (once they gave one), its sources and new words.
/// </summary>
public partial class LessonPage : IDisposable
{
    [Inject] public required LessonCatalog Catalog { get; set; }
    [Inject] public required LessonProgress Progress { get; set; }
    [Inject] public required NavigationManager Navigation { get; set; }
    [Inject] public required GpuReference Reference { get; set; }
    [Inject] public required MeasuredSpeeds Speeds { get; set; }
    [Inject] public required MyGpuState MyGpu { get; set; }

    [Parameter] public string Slug { get; set; } = "";

    private Lesson? _lesson, _previous, _next;
    private List<GlossaryTerm> _newWords = [];
    private CourseNumbers _numbers = null!;
    private ServerFigures _figures = ServerFigures.None;
    private LearnerGpu? _mine;
    private bool _watching;
    private string? _opened;
    private string _measureHref = CourseNumbers.DefaultMeasureHref;

    protected override async Task OnParametersSetAsync()
    {
        var lesson = Catalog.Find(Slug);
        if (lesson is null) { _lesson = null; Navigation.NotFound(); return; }
        // The figures first, so the page is never drawn without them.
        _figures = await ServerFigures.ReadAsync(Speeds);
        _numbers = new CourseNumbers(Reference, _figures, _mine);
        (_previous, _next) = Catalog.Neighbours(lesson);
        _newWords = Catalog.Glossary.DefinedIn(lesson.Slug).ToList();
        // A pending figure's button leads to this lesson's own Try-it, or to lesson 1's where it has none.
        _measureHref = lesson.Blocks.OfType<TryItBlock>().FirstOrDefault(t => t.Preset.Device == "cpu") is { } tryIt ? $"#try-it-{tryIt.Preset.Name}" : CourseNumbers.DefaultMeasureHref;
        _lesson = lesson;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_lesson is null) return;
        if (!_watching)
        {
            // The learner's card is read once the page is interactive (personal mode keeps it in the browser).
            _watching = true;
            MyGpu.Changed += OnMyGpuChanged;
            await ShowMyGpuAsync();
        }
        // Once per visit of a lesson (the class pulse counts openings); renders after it change nothing.
        if (_opened != _lesson.Slug)
        {
            _opened = _lesson.Slug;
            try { await Progress.OpenedAsync(_lesson); }
            catch (Identity.NotInClassException) { } // removed meanwhile: nothing is recorded, and the layout sends the page to /join
        }
    }

    private async Task ShowMyGpuAsync()
    {
        LearnerGpu? mine;
        try { mine = await MyGpu.GetAsync(); }
        catch (Identity.NotInClassException) { return; }
        if (mine == _mine) return;
        _mine = mine;
        _numbers = new CourseNumbers(Reference, _figures, _mine);
        StateHasChanged();
    }

    private void OnMyGpuChanged() => _ = InvokeAsync(ShowMyGpuAsync);

    public void Dispose() => MyGpu.Changed -= OnMyGpuChanged;
}
