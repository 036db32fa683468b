using LearnDL.Web.Live;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace LearnDL.Web.Features.Instructor;

/// <summary>
/// The pulse panel: drawn from <see cref="ClassPulse"/> when the class's topic changes, at most once a
/// second however many students answer at once (the live updates coalesce), and every 15 s for the idle flags.
/// </summary>
public partial class ClassPulsePanel : IDisposable
{
    public static readonly TimeSpan RedrawInterval = TimeSpan.FromSeconds(1);

    [Inject] public required ClassPulse Pulse { get; set; }
    [Inject] public required LiveUpdates Updates { get; set; }
    [Inject] public required IDialogService Dialogs { get; set; }
    [Inject] public required IOptions<LearnDLOptions> Options { get; set; }

    private ClassPulseView _view = ClassPulseView.Empty;
    private IDisposable? _watch;
    private string? _message;
    private readonly CancellationTokenSource _stop = new();

    private string Summary => $"{_view.Students} students · {_view.Questions.Sum(q => q.Answered)} first answers · as of {_view.At.ToLocalTime():HH:mm:ss}";

    private string Rules
    {
        get
        {
            var c = Options.Value.Class;
            return $"a student is flagged after {c.StuckAfterMinutes} minutes without progress while the class moves on, {c.StuckAfterFailedRuns} failed or cancelled runs in a row, or {c.StuckAfterWrongFirstTries} wrong first tries in a row.";
        }
    }

    private string FlaggedRules
    {
        get
        {
            var c = Options.Value.Class;
            return $"Answers count once a student opened the lesson. Faster than a person answers (less than {c.MinSecondsAfterOpening:0.#} s after opening the lesson, or two answers less than {c.MinSecondsBetweenAnswers:0.#} s apart), and every answer of a name made in a burst of names from one network, is a script or a burst: those questions count for nothing of that student, who is listed here instead of under who may need help.";
        }
    }

    private static string StudentLink(string id) => "/instructor/students/" + Uri.EscapeDataString(id);

    protected override async Task OnInitializedAsync() => _view = await Pulse.GetAsync();

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        _watch = Updates.WatchClass(() => InvokeAsync(RefreshAsync), RedrawInterval);
        _ = TickAsync();
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15));
        try { while (await timer.WaitForNextTickAsync(_stop.Token)) await InvokeAsync(RefreshAsync); }
        catch (OperationCanceledException) { }
    }

    private async Task RefreshAsync()
    {
        _view = await Pulse.GetAsync();
        StateHasChanged();
    }

    private async Task ClearAsync()
    {
        if (await Dialogs.ShowMessageBoxAsync("Clear the class's records",
                "Forget every student's lesson progress, answers and the pulse's figures? Students stay in the class and runs stay in the history, but no earlier run counts in the pulse. This cannot be undone.",
                yesText: "Clear the records", cancelText: "Cancel") != true) return;
        await Pulse.ClearAsync();
        _message = "The class's records are cleared.";
        await RefreshAsync();
    }

    public void Dispose()
    {
        _watch?.Dispose();
        _stop.Cancel();
    }
}

/// <summary>How the panel words its figures.</summary>
public static class ClassPulseText
{
    /// <summary>"40 % (2 of 5)", or "not answered yet".</summary>
    public static string Share(PulseQuestion q) => q.FirstTryCorrectShare is { } share
        ? $"{Math.Round(share * 100):0} % ({q.FirstTryCorrect} of {q.Answered})"
        : "not answered yet";

    public static string CommonWrong(PulseQuestion q) => q.CommonWrongAnswer is { } text ? $"{text} ({q.CommonWrongCount})" : "";
}
