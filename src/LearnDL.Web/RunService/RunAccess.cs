using LearnDL.Web.Identity;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.RunService;

/// <summary>
/// Who may see and cancel which run: the one place that decides. In personal mode the one user owns
/// everything, whichever browser session started it. In class mode a student sees the runs they
/// started or joined, and the instructor's class demos; the instructor sees every run. Anything
/// else is answered as if it did not exist.
/// </summary>
public sealed class RunAccess(RunStore store, IOptions<LearnDLOptions> options)
{
    private bool ClassMode => options.Value.Class.IsOn;

    private bool SeesEverything(RunOwner owner) => !ClassMode || owner.IsInstructor;

    /// <summary>The runs a list shows this owner.</summary>
    public RunFilter Scope(RunOwner owner, RunFilter filter) => filter with { OwnerId = SeesEverything(owner) ? null : owner.Id };

    public async Task<bool> CanSeeAsync(RunOwner owner, Guid runId) => SeesEverything(owner) || await store.IsVisibleToAsync(runId, owner.Id);

    /// <summary>Cancelling a shared run by one of several members only takes that member off it (see the queue).</summary>
    public Task<bool> CanCancelAsync(RunOwner owner, Guid runId) => CanSeeAsync(owner, runId);

    /// <summary>Whose cancel this is: null for someone who may stop a run for everyone on it (the instructor).</summary>
    public string? CancelledBy(RunOwner owner) => ClassMode && owner.IsInstructor ? null : owner.Id;
}
