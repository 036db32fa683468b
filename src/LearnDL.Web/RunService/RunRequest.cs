using LearnDL.Training.Compute;
using LearnDL.Training.Training;

namespace LearnDL.Web.RunService;

/// <summary>What a learner asks to run: the launcher's form, a lesson's Try-it, or an API call.</summary>
public sealed class RunRequest
{
    public string Dataset { get; set; } = "builtin";

    public int Images { get; set; } = 100;

    public int Epochs { get; set; } = 3;

    public DeviceRequest Device { get; set; } = DeviceRequest.Cpu;

    public int Seed { get; set; } = 1;

    /// <summary>
    /// A preset (a lesson's Try-it): an identical request while one is queued or running joins that
    /// run instead of queueing a copy, so a class pressing the same button makes one run, not thirty.
    /// </summary>
    public bool Shared { get; set; }

    /// <summary>Started by the instructor for the whole class to watch (set by the class demo only).</summary>
    internal bool ClassDemo { get; set; }

    public RunOptions ToOptions() => new() { Dataset = Dataset.Trim(), Images = Images, Epochs = Epochs, Device = Device, Seed = Seed };

    /// <summary>What makes two requests the same run.</summary>
    internal string SameRunKey => $"{Dataset.Trim().ToLowerInvariant()}|{Images}|{Epochs}|{Device}|{Seed}";
}

/// <summary>A run was not queued; the messages say why, in the learner's words.</summary>
public sealed class RunRejectedException(IReadOnlyList<string> problems, bool limitReached = false) : Exception(string.Join(" ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;

    /// <summary>True when the request was fine but a limit (queue, per-owner) was reached: try again later.</summary>
    public bool LimitReached { get; } = limitReached;
}

/// <summary>A request accepted: the run to watch, and whether it was joined rather than started.</summary>
public sealed record Admission(Guid RunId, bool Joined, int Members);
