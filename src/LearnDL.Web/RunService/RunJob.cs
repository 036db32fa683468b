using LearnDL.Training.Compute;
using LearnDL.Training.Training;
using LearnDL.Web.Identity;

namespace LearnDL.Web.RunService;

public enum JobState { Admitting, Waiting, Running, Finished }

/// <summary>A run the queue holds: what to run, on which device, for whom, and how to stop it.</summary>
public sealed class RunJob(Guid id, RunRequest request, DeviceChoice device, RunOwner owner, DateTimeOffset submittedAt)
{
    public Guid Id => id;
    public RunRequest Request => request;
    public RunOptions Options { get; } = request.ToOptions();
    public DeviceChoice Device => device;
    public RunOwner Owner => owner;
    public DateTimeOffset SubmittedAt => submittedAt;
    /// <summary>Owner ids of everyone on this run (its starter first); changed under the queue's lock.</summary>
    public List<string> Members { get; } = [owner.Id];

    /// <summary>Changed only under the queue's lock.</summary>
    public JobState State { get; set; } = JobState.Admitting;
    public bool CancelRequested { get; set; }

    /// <summary>Completes once the run's row is in the database, so joiners never see a run that is not there.</summary>
    internal TaskCompletionSource Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Never disposed: a cancel may race the run's end, and a plain token source needs no disposal.</summary>
    internal CancellationTokenSource Cancellation { get; } = new();
}
