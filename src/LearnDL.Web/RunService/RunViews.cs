using LearnDL.Web.Identity;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.RunService;

/// <summary>A run as someone may see it: its view and what they may do to it.</summary>
public sealed record SeenRun(RunView View, RunAccess Access);

/// <summary>
/// One read for a run's page, its place and the API: the stored run, whether the viewer is on it, and the
/// live state, together; the rules (<see cref="Access.OnRun"/>) decide what the viewer may do from that.
/// </summary>
public sealed class RunViews(RunStore store, RunLifecycle runs, IOptions<LearnDLOptions> options)
{
    /// <summary>The run as <paramref name="owner"/> sees it, or null when there is none they may see (another's run is not there for them).</summary>
    /// <param name="withSeries">False for callers that draw no chart (the API).</param>
    public async Task<SeenRun?> ForAsync(Guid runId, RunOwner owner, bool withSeries = true)
    {
        var (record, isMember) = await store.GetWithMembershipAsync(runId, owner.Id);
        if (record is null) return null;
        var access = Access.OnRun(owner, options.Value.Class.IsOn, isMember, record.ClassDemo);
        return access.See ? new(RunView.From(record, runs.Snapshot(runId, withSeries)), access) : null;
    }
}
