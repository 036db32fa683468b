using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Featurization;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Components;

namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>
/// Lesson 9's measurement: the same sixteen images featurized at each batch size, queued as work on the
/// CPU like a run (so a class's runs are never starved), each result shown as it arrives. Closing the
/// page cancels what is left of it.
/// </summary>
public partial class BatchDemo : IDisposable
{
    [Inject] public required IRunQueue Queue { get; set; }
    [Inject] public required CurrentOwner Owner { get; set; }
    [Inject] public required NetworkCache Networks { get; set; }
    [Inject] public required GpuReference Reference { get; set; }

    private const int Images = 16;
    private const double SecondsPerSize = 1.0;
    private readonly List<BatchTiming> _timings = [];
    private WorkTicket? _ticket;
    private string? _status, _problem;

    private IReadOnlyList<BatchTiming> Snapshot()
    {
        lock (_timings) return [.. _timings];
    }

    /// <summary>Sixteen built-in tiles, three of each class and one more, as the network's input.</summary>
    public static float[] Pixels()
    {
        var pixels = new float[Images * ResNet18Model.PixelsPerImage];
        var preprocessor = new ImagePreprocessor();
        for (int i = 0; i < Images; i++)
        {
            using var tile = AerialTileGenerator.Draw(i % AerialTileGenerator.ClassNames.Count, i);
            preprocessor.Write(tile, pixels.AsSpan(i * ResNet18Model.PixelsPerImage, ResNet18Model.PixelsPerImage));
        }
        return pixels;
    }

    private async Task StartAsync()
    {
        lock (_timings) _timings.Clear();
        _problem = null;
        try
        {
            // On a thread of its own, off the thread pool the class's pages need.
            _ticket = Queue.SubmitWork("Lesson 9 demonstration: batch sizes", ComputeDevice.Cpu, await Owner.GetAsync(), token => ComputeThreads.RunAsync(() =>
            {
                var model = Networks.GetUnpooled();
                foreach (var timing in BatchSizeBenchmark.Run(model, Pixels(), BatchSizeBenchmark.DefaultBatchSizes, SecondsPerSize, token))
                {
                    lock (_timings) _timings.Add(timing);
                    _ = InvokeAsync(StateHasChanged); // a counter and a bar: cheap for the browser
                }
            }, token));
            var ticket = _ticket;
            while (!ticket.Started.IsCompleted)
            {
                _status = Queue.PositionOf(ticket.Id) is { } position ? $"Waiting for the CPU: position {position} in its queue." : "Waiting for the CPU.";
                StateHasChanged();
                await Task.WhenAny(ticket.Started, Task.Delay(500));
            }
            await ticket.Started;
            _status = "Measuring on the CPU...";
            StateHasChanged();
            await ticket.Completion;
            _status = "Done.";
        }
        catch (RunRejectedException e) { _problem = e.Message; _status = null; }
        catch (OperationCanceledException) { _status = "Cancelled."; }
        finally { _ticket = null; }
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
