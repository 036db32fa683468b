namespace LearnDL.Web.RunService;

/// <summary>A run was not queued; the messages say why, in the learner's words.</summary>
public sealed class RunRejectedException(IReadOnlyList<string> problems, bool limitReached = false) : Exception(string.Join(" ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;

    /// <summary>True when the request was fine but a limit (queue, per-owner) was reached: try again later.</summary>
    public bool LimitReached { get; } = limitReached;
}

/// <summary>A request accepted: the run to watch, and whether it was joined rather than started.</summary>
public sealed record Admission(Guid RunId, bool Joined, int Members);
