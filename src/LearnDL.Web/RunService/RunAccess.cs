using LearnDL.Web.Identity;

namespace LearnDL.Web.RunService;

/// <summary>
/// Who may see and cancel which run: the one place that decides. In personal mode the one user
/// owns everything, whichever browser session started it.
/// </summary>
public sealed class RunAccess
{
    /// <summary>The runs a list shows this owner.</summary>
    public RunFilter Scope(RunOwner owner, RunFilter filter) => filter with { OwnerId = null };

    public Task<bool> CanSeeAsync(RunOwner owner, Guid runId) => Task.FromResult(true);

    public Task<bool> CanCancelAsync(RunOwner owner, Guid runId) => CanSeeAsync(owner, runId);
}
