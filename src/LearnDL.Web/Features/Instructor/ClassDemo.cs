using LearnDL.Training.Runs;
using LearnDL.Training.Compute;
using LearnDL.Web.Features.Replay;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Instructor;

/// <summary>The run (or the CPU/GPU pair of the replay) the instructor started for the whole class to watch on their home page.</summary>
public sealed record DemoRuns(string Title, IReadOnlyList<(string Label, Guid RunId)> Runs, DateTimeOffset StartedAt);

/// <summary>
/// The class demo: runs the instructor starts that every student sees live on the home page. They
/// are ordinary runs in the queues, marked so that every student may see them.
/// </summary>
public sealed class ClassDemo(IRunQueue queue, ReplayPlanner replay, TimeProvider time)
{
    private volatile DemoRuns? _current;

    public DemoRuns? Current => _current;

    public event Action? Changed;

    public async Task<DemoRuns> StartRunAsync(RunSettings request)
    {
        request = request with { Shared = false };
        var admission = await queue.SubmitAsync(request, RunOwner.Instructor, "class-demo", classDemo: true);
        return Show(new($"{request.Dataset} · {request.Images} images · {request.Epochs} epochs on the {request.Device.ToString().ToUpperInvariant()}",
            [(request.Device.ToString().ToUpperInvariant(), admission.RunId)], time.GetUtcNow()));
    }

    /// <summary>The article's experiment for the class: 2000 images, one epoch, on the CPU and, where usable, the GPU.</summary>
    public async Task<DemoRuns> StartReplayAsync()
    {
        var plan = await replay.PlanAsync();
        var runs = new List<(string, Guid)>();
        foreach (var device in plan.GpuUsable ? new[] { DeviceRequest.Cpu, DeviceRequest.Gpu } : [DeviceRequest.Cpu])
        {
            var request = new RunSettings { Dataset = plan.Dataset, Images = ReplayPlanner.Images, Epochs = ReplayPlanner.Epochs, Device = device };
            runs.Add((device.ToString().ToUpperInvariant(), (await queue.SubmitAsync(request, RunOwner.Instructor, "class-demo", classDemo: true)).RunId));
        }
        return Show(new($"The article's experiment: {ReplayPlanner.Images} images, {ReplayPlanner.Epochs} epoch, {(plan.GpuUsable ? "CPU against GPU" : "on the CPU")}", runs, time.GetUtcNow()));
    }

    public void Stop() => Show(null);

    private DemoRuns Show(DemoRuns? demo)
    {
        _current = demo;
        Changed?.Invoke();
        return demo!;
    }
}
