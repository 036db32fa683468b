using LearnDL.Training.Compute;

namespace LearnDL.Web.Workers;

/// <summary>The machines that run the class's runs: this server alone (in-process), or the `learndl worker` machines.</summary>
public interface IWorkerDirectory
{
    string Engine { get; }
    IReadOnlyList<WorkerView> Workers { get; }

    /// <summary>What the launcher says of a device: who can run it now, or why runs on it wait.</summary>
    string CapacityLine(ComputeDevice device);

    WorkersBody Body();

    /// <summary>Raised when the machines or their capacity change; handlers marshal to their own context.</summary>
    event Action? Changed;

    /// <summary>Asks a worker to finish its runs and leave; false when there is no such worker (or nothing to drain in-process).</summary>
    Task<bool> DrainAsync(string name);
}
