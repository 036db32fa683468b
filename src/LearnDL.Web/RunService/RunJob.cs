using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Training.Precision;
using LearnDL.Web.Identity;

namespace LearnDL.Web.RunService;

public enum JobState { Admitting, Waiting, Running, Finished }

/// <summary>
/// Something a device's queue holds: a run, or other work that needs the device for a while (a
/// lesson's demonstration). Both wait their turn and count against the same limits.
/// </summary>
public abstract class QueueItem(Guid id, DeviceChoice device, RunOwner owner, DateTimeOffset submittedAt)
{
    public Guid Id => id;
    public DeviceChoice Device => device;
    /// <summary>Who asked for it; a renamed student's new name replaces the old one here, under the queue's lock.</summary>
    public RunOwner Owner { get; set; } = owner;
    public DateTimeOffset SubmittedAt => submittedAt;
    /// <summary>The network the owner's name was made from (students only): the queue counts runs per network. Set under the queue's lock.</summary>
    public string? Network { get; set; }

    /// <summary>Changed only under the queue's lock.</summary>
    public JobState State { get; set; } = JobState.Admitting;
    public bool CancelRequested { get; set; }

    /// <summary>Never disposed: a cancel may race the end, and a plain token source needs no disposal.</summary>
    internal CancellationTokenSource Cancellation { get; } = new();

    /// <summary>What the queue's views call it.</summary>
    public abstract string Title { get; }
}

/// <summary>A run the queue holds: what to run, on which device, for whom, and how to stop it.</summary>
/// <param name="settings">What was asked, its dataset as the learner named it.</param>
/// <param name="engineDataset">The dataset as the engine names it: the request's, or an upload's folder.</param>
public sealed class RunJob(Guid id, RunSettings settings, string engineDataset, DeviceChoice device, RunOwner owner, DateTimeOffset submittedAt)
    : QueueItem(id, device, owner, submittedAt)
{
    public RunSettings Settings { get; } = settings with { Dataset = settings.Dataset.Trim() };
    /// <summary>What the engine runs: the settings, the dataset as it names it, on the device the queue chose (with its reason).</summary>
    public RunOptions Options => RunOptions.For(Settings) with { Dataset = engineDataset };
    /// <summary>Started by the instructor for the whole class to watch (the class demo).</summary>
    public bool ClassDemo { get; init; }
    /// <summary>Owner ids of everyone on this run (its starter first); changed under the queue's lock.</summary>
    public List<string> Members { get; } = [owner.Id];
    /// <summary>The span it was asked from (the POST, or the launcher's click on its circuit): the run's trace goes on under it. None after a restart.</summary>
    public System.Diagnostics.ActivityContext Trace { get; init; }
    /// <summary>When a run taken back after a restart first started (it went on on a worker meanwhile); null for a new run.</summary>
    public DateTimeOffset? StartedBefore { get; init; }
    public override string Title => $"{Settings.Dataset} · {Settings.Images} images · {Settings.Epochs} epochs" +
        (Settings.Precision == NetworkPrecision.Int8 ? " · INT8" : "");

    /// <summary>Completes once the run's row is in the database, so joiners never see a run that is not there.</summary>
    internal TaskCompletionSource Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Work that is not a run but needs a device's worker: it waits in the same queue, and is not stored.</summary>
public sealed class WorkItem(Guid id, string title, Func<CancellationToken, Task> work, DeviceChoice device, RunOwner owner, DateTimeOffset submittedAt)
    : QueueItem(id, device, owner, submittedAt)
{
    public override string Title => title;
    internal Func<CancellationToken, Task> Work => work;
    internal TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    internal TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Work handed to the queue: wait for <see cref="Started"/>, then for <see cref="Completion"/> (cancelled when it was).</summary>
public sealed record WorkTicket(Guid Id, Task Started, Task Completion);
