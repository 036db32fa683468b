using LearnDL.Training.Compute;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Workers;

/// <summary>In-process mode: the one machine is this server, serving both lines with the dashboard's numbers of runs at once.</summary>
public sealed class LocalWorkers(IRunQueue queue, DeviceProbe probe) : IWorkerDirectory
{
    public string Engine => WorkersOptions.InProcess;

    public IReadOnlyList<WorkerView> Workers
    {
        get
        {
            var report = probe.Latest;
            var lanes = queue.View().Lanes;
            var gpu = report is { CudaUsable: true };
            return [new WorkerView(InProcessRunExecutor.Local, gpu ? "cpu+gpu" : "cpu", probe.Build.Id, report?.CpuModel ?? "", report?.LogicalCores ?? Environment.ProcessorCount,
                gpu ? report!.GpuSummary : null, [], 0, lanes.Where(l => l.Device == ComputeDevice.Cpu || gpu).Sum(l => l.Slots),
                lanes.Sum(l => l.Running.Count), false, true, DateTimeOffset.UtcNow)];
        }
    }

    public string CapacityLine(ComputeDevice device)
    {
        var lane = queue.View().Lanes.First(l => l.Device == device);
        if (device == ComputeDevice.Cpu) return $"CPU: this server, {lane.Slots} run{(lane.Slots == 1 ? "" : "s")} at a time";
        return probe.Latest is { CudaUsable: true } report ? $"GPU: this server's {report.GpuSummary}" : "GPU: none on this server";
    }

    public WorkersBody Body() => new(Engine, Workers, queue.View().Lanes.ToDictionary(l => l.Device.ToId(), l => l.Slots), null);

    // Nothing changes here that the queue's own updates do not already show.
    public event Action? Changed { add { } remove { } }

    public Task<bool> DrainAsync(string name) => Task.FromResult(false);
}
