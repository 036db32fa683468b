namespace LearnDL.Web.RunService;

/// <summary>Which of the queue's limits refused a run, and the figures that say why: the decision, as data.</summary>
public enum QueueLimit { Server, Person, Students, Network }

/// <summary>A run refused by a queue limit: <paramref name="Count"/> runs of that kind wait or run; <paramref name="Limit"/> is the most allowed.</summary>
public sealed record QueueRefusal(QueueLimit Limit, int Count, int Max);

/// <summary>
/// Every sentence the queue's admission says to a learner or a script (the API and the launcher show the same
/// words): the queue decides, this words it. Each names the setting that sets the limit and what to do.
/// </summary>
public static class AdmissionMessages
{
    public static string Refused(QueueRefusal refusal) => refusal.Limit switch
    {
        QueueLimit.Server => $"The queue is full: {refusal.Max} runs are waiting or running (the server's limit, MaxQueuedRuns). Try again when one finishes.",
        QueueLimit.Person => $"You already have {refusal.Count} runs waiting or running; the limit is {refusal.Max} per person (MaxQueuedRunsPerOwner). Wait for one to finish, or cancel one.",
        QueueLimit.Students => $"The class's students have {refusal.Max} runs waiting or running, the most this server takes from students at once (Class:MaxQueuedStudentRuns). Try again when one finishes.",
        _ => $"{refusal.Max} runs from your network (everyone who joined from the same address) are waiting or running, the most this server takes from one network (Class:MaxQueuedRunsPerAddress). Try again when one finishes.",
    };

    public static string TooManyImages(int max) => $"This server allows at most {max:N0} images per run (MaxImagesPerRun).";

    public static string TooManyEpochs(int max) => $"This server allows at most {max} epochs per run (MaxEpochs).";

    public static string UploadNamedAsFolder(string dataset) =>
        $"Unknown dataset '{dataset}'. An uploaded dataset is used by its name, upload:NAME (see /datasets).";

    public static string FewerImages(string datasetTitle, int imageCount) => $"{datasetTitle} has {imageCount:N0} images; ask for fewer.";

    public static string NotStored(string why) => $"The run could not be stored, so it was not queued: {why}";

    public static string JoinedNotStored(string why) => $"The run you joined could not be stored: {why}";

    public static string UnknownStoredDevice(string? device) => $"Its device '{device}' is not cpu, gpu or auto.";

    public static string CannotRunAfterRestart(IEnumerable<string> problems) =>
        $"The server restarted while this run waited, and it cannot run now: {string.Join(" ", problems)}";

    /// <summary>The reason a piece of work that is not a run (a benchmark, say) gives for its device.</summary>
    public static string WorkAskedFor(string title, string device) => $"{title} asked for the {device.ToUpperInvariant()}.";
}
