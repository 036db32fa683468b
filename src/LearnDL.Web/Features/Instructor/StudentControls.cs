using LearnDL.Web.Identity;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Instructor;

/// <summary>The instructor's say over one student's runs: a removed student's waiting runs stop, and "stop all of their runs" stops everything of theirs.</summary>
public sealed class StudentControls(StudentRegistry students, IRunQueue queue)
{
    /// <summary>
    /// Removes the student (see <see cref="StudentRegistry.RemoveAsync"/>), then stops their waiting runs and takes
    /// them off shared runs others are on; a run of theirs already running finishes, in the history under "(removed)".
    /// False when there was no such student.
    /// </summary>
    public async Task<bool> RemoveAsync(string studentId)
    {
        var removed = await students.RemoveAsync(studentId);
        // After the removal, so a run queued meanwhile is caught too.
        await queue.CancelAllOfAsync(studentId, running: false);
        return removed;
    }

    /// <summary>Stops every run of the student's own, waiting or running, and takes them off shared ones; null when there is no such student.</summary>
    public async Task<CancelledRuns?> StopRunsAsync(string studentId) =>
        await students.FindAsync(studentId) is null ? null : await queue.CancelAllOfAsync(studentId, running: true);
}
