using LearnDL.Web.Identity;
using Microsoft.AspNetCore.Authorization;

namespace LearnDL.Web.RunService;

/// <summary>A person's "cancel" on a run, for pages and the API alike.</summary>
public static class RunCancel
{
    /// <summary>
    /// Stops the run for everyone when the rules let this person (<see cref="Access.Stop"/>), otherwise takes
    /// them off it when they are on it (the last one off stops it), otherwise it is someone else's: NotAMember.
    /// </summary>
    public static async Task<CancelOutcome> CancelAsync(this IRunQueue queue, IAuthorizationService authorization, RunOwner owner, Guid runId)
    {
        var run = new RunRef(runId);
        if (await authorization.AllowsAsync(owner, run, Access.Stop)) return await queue.CancelAsync(runId);
        if (await authorization.AllowsAsync(owner, run, Access.Leave)) return await queue.CancelAsync(runId, owner.Id);
        return CancelOutcome.NotAMember;
    }
}
