using System.Globalization;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.Features.Shared;
using Microsoft.AspNetCore.Components;
using Plotly.Blazor;
using Plotly.Blazor.Traces;

namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>
/// Amdahl's law with sliders: the share of a run's time that a faster processor speeds up, and by how
/// much. Starts from this server's last CPU run (its network's share of the time, its total), or from
/// an example when there is none; the reference button sets the speed-up the reference GPU's measured
/// forward speed implies against this server's CPU.
/// </summary>
public partial class AmdahlExplorer
{
    [Inject] public required MeasuredSpeeds Speeds { get; set; }
    [Inject] public required GpuReference Reference { get; set; }

    private const double ExampleSeconds = 40;
    private int _part = 90, _speedupStep = AmdahlSliders.StepFor(50);
    // What the sliders were last set to by a preset, and how many presets so far (a new pair of sliders each).
    private int _presetPart = 90, _presetSpeedupStep = AmdahlSliders.StepFor(50), _presets;
    private double _seconds = ExampleSeconds;
    private MeasuredRun? _run;
    private MeasuredSpeed? _cpu;
    private string _source = "An example run: no finished CPU run of at least 40 images on this server yet (the Try-it above makes one; then reload).";

    private double Speedup => AmdahlSliders.SpeedupAt(_speedupStep);
    private AmdahlCase Case => new(_seconds, _part / 100.0, Speedup);

    protected override async Task OnInitializedAsync()
    {
        _run = await Speeds.LatestRunAsync("cpu");
        _cpu = await Speeds.LatestAsync("cpu");
        if (_run is not null) UseLastRun();
    }

    private void UseLastRun()
    {
        if (_run is not { } run) return;
        _seconds = run.TotalSeconds;
        _part = (int)Math.Round(100 * run.NetworkShare);
        Preset();
        _source = $"Preset with this server's last CPU run: {run.Images} images in {Durations.InWords(run.TotalSeconds)}, " +
                  $"{(100 * run.NetworkShare).ToString("0", CultureInfo.InvariantCulture)}% of it in the network.";
    }

    private void UseReferenceGpu()
    {
        // The reference GPU's forward speed against this server's measured CPU speed; without a CPU run, against the reference machine's own CPU.
        var cpu = _cpu?.ImagesPerSecond ?? Reference.Speed("cpu", train: false);
        _speedupStep = AmdahlSliders.StepFor(Reference.Speed("gpu", train: false) / cpu);
        Preset();
    }

    private void Preset() => (_presetPart, _presetSpeedupStep, _presets) = (_part, _speedupStep, _presets + 1);

    private void SetPart(object? value)
    {
        if (int.TryParse(value?.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p)) _part = Math.Clamp(p, 0, 100);
    }

    private void SetSpeedup(object? value)
    {
        if (int.TryParse(value?.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)) _speedupStep = Math.Clamp(s, 0, AmdahlSliders.SpeedupSteps);
    }

    private ChartModel Chart()
    {
        var c = Case;
        string[] labels = ["before", "after"];
        var layout = RunCharts.BaseLayout("The run's time, before and after (seconds)", "seconds", "");
        layout.BarMode = Plotly.Blazor.LayoutLib.BarModeEnum.Stack;
        layout.Height = 220;
        ITrace Segment(string name, double before, double after, string colour) => new Bar
        {
            Name = name,
            Orientation = Plotly.Blazor.Traces.BarLib.OrientationEnum.H,
            Y = labels.Cast<object>().ToList(),
            X = [Math.Round(before, 2), Math.Round(after, 2)],
            Marker = new Plotly.Blazor.Traces.BarLib.Marker { Color = colour },
        };
        var untouched = Segment("not sped up (CPU either way)", c.UntouchedSeconds, c.UntouchedSeconds, "#78909c");
        var network = Segment("sped up (the network)", c.Seconds * c.Part, c.SpedUpSeconds, "#3f51b5");
        return new($"amdahl:{_seconds:0.###}:{_part}:{_speedupStep}", [untouched, network], layout,
            $"Before: {c.Seconds:0.0} s; after: {c.NewSeconds:0.0} s ({c.Overall:0.#}× faster with {_part}% of the time sped up {Speedup:0.#}×).",
            RunCharts.Table(["", "not sped up (s)", "sped up (s)", "total (s)"],
            [
                ["before", F(c.UntouchedSeconds), F(c.Seconds * c.Part), F(c.Seconds)],
                ["after", F(c.UntouchedSeconds), F(c.SpedUpSeconds), F(c.NewSeconds)],
            ]));
    }

    private static string F(double seconds) => seconds.ToString("0.00", CultureInfo.InvariantCulture);
}
