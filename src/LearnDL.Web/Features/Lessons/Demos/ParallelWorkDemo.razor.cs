using LearnDL.Training.Compute;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Components;

namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>
/// Runs the matrix-multiply measurements as queued work (CPU first, then the GPU where usable) and
/// shows each timing as it arrives. Closing the page cancels what is left of it.
/// </summary>
public partial class ParallelWorkDemo : IDisposable
{
    [Inject] public required IRunQueue Queue { get; set; }
    [Inject] public required CurrentOwner Owner { get; set; }
    [Inject] public required DeviceProbe Probe { get; set; }
    [Inject] public required GpuReference Reference { get; set; }

    private readonly List<MultiplyTiming> _timings = [];
    private WorkTicket? _ticket;
    private string? _status, _problem, _whyNoGpu;
    private bool _measuredOnce;

    /// <summary>The answer to the reader's prediction, once a measurement has finished: the library against one multiply-add at a time.</summary>
    private double? LibrarySpeedup => _ticket is null && _measuredOnce ? ParallelWorkFindings.LibrarySpeedup(Snapshot()) : null;

    private int Expected => MatrixMultiplyBenchmark.Sizes.Count * (MatrixMultiplyBenchmark.CpuMethods.Count + (_whyNoGpu is null ? 1 : 0));

    protected override async Task OnInitializedAsync() => _whyNoGpu = await Probe.WhyNotGpuAsync();

    private IReadOnlyList<MultiplyTiming> Snapshot()
    {
        lock (_timings) return [.. _timings];
    }

    private async Task StartAsync()
    {
        lock (_timings) _timings.Clear();
        _problem = null;
        _measuredOnce = true; // the guess, if any, is closed from here
        try
        {
            var owner = await Owner.GetAsync();
            await MeasureOnAsync(ComputeDevice.Cpu, MatrixMultiplyBenchmark.CpuMethods, owner);
            if (_whyNoGpu is null) await MeasureOnAsync(ComputeDevice.Gpu, [MultiplyMethod.Gpu], owner);
            _status = "Done.";
        }
        catch (RunRejectedException e) { _problem = e.Message; _status = null; }
        catch (OperationCanceledException) { _status = "Cancelled."; }
        catch (DeviceUnavailableException e) { _problem = e.Message; _status = null; }
        finally { _ticket = null; }
    }

    private async Task MeasureOnAsync(ComputeDevice device, IReadOnlyList<MultiplyMethod> methods, RunOwner owner)
    {
        var name = device.ToId().ToUpperInvariant();
        // The measuring happens on a thread of its own, never on this page's circuit nor the thread pool's.
        _ticket = Queue.SubmitWork($"Lesson 2 demonstration on the {name}", device, owner, token => ComputeThreads.RunAsync(() =>
        {
            using var benchmark = new MatrixMultiplyBenchmark(gpu: device == ComputeDevice.Gpu);
            foreach (var timing in benchmark.Run(methods, MatrixMultiplyBenchmark.Sizes, token))
            {
                lock (_timings) _timings.Add(timing);
                _ = InvokeAsync(StateHasChanged); // a counter and a bar: cheap for the browser
            }
        }, token));
        var ticket = _ticket;
        while (!ticket.Started.IsCompleted)
        {
            _status = Queue.PositionOf(ticket.Id) is { } position
                ? $"Waiting for the {name}: position {position} in its queue."
                : $"Waiting for the {name}.";
            StateHasChanged();
            await Task.WhenAny(ticket.Started, Task.Delay(500));
        }
        await ticket.Started;
        _status = $"Measuring on the {name}...";
        StateHasChanged();
        await ticket.Completion;
    }

    private async Task CancelAsync()
    {
        if (_ticket is { } ticket) await Queue.CancelAsync(ticket.Id);
    }

    public void Dispose()
    {
        if (_ticket is { } ticket) _ = Queue.CancelAsync(ticket.Id);
    }
}
