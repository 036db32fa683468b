namespace LearnDL.Web.Data;

/// <summary>A student of the class: a display name chosen on the first visit, unique within the class.</summary>
public sealed class StudentRecord
{
    public string Id { get; set; } = "";
    public string DisplayName { get; set; } = "";
    /// <summary>The name folded for comparison (case, look-alike letters: Identity/StudentNames.Key), unique.</summary>
    public string NormalizedName { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    /// <summary>
    /// The network the name was made from (an IPv4 address, or an IPv6 /64; see Identity/StudentNetworks): new names
    /// and queued runs are limited per network across names. Null when unknown (students of older versions).
    /// </summary>
    public string? JoinedFrom { get; set; }
}

/// <summary>A dataset someone uploaded as a zip: kept under the data folder in a folder named by its id.</summary>
public sealed class UploadedDatasetRecord
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string NormalizedName { get; set; } = "";
    public string OwnerId { get; set; } = "";
    /// <summary>Uploaded by the instructor: every student may use it. Otherwise only its owner.</summary>
    public bool ForClass { get; set; }
    /// <summary>Class names, one per line, in folder order.</summary>
    public string Classes { get; set; } = "";
    public int Images { get; set; }
    public int Skipped { get; set; }
    /// <summary>Bytes stored (pictures downscaled to what a run uses), counted against the quotas.</summary>
    public long Bytes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>The network address it was uploaded from (an IPv6 address by its /64), for the per-address quota; null before it was kept.</summary>
    public string? UploaderAddress { get; set; }
}

/// <summary>One fact of a student's progress: a lesson read ("read:slug") or the answer chosen to a question ("answer:slug/id").</summary>
public sealed class ProgressRecord
{
    public string OwnerId { get; set; } = "";
    public string Key { get; set; } = "";
    public int? Answer { get; set; }
}

/// <summary>
/// One thing a student did in the course, for the instructor's class pulse (class mode only): a lesson
/// opened or finished, or an answer chosen to a check question (with whether it was right). Kept as it
/// happened, so the first try, the number of tries and when are all read back from these rows.
/// Runs are not repeated here: the runs table already keeps who started which, its state and times.
/// </summary>
public sealed class LearningEventRecord
{
    public long Id { get; set; }
    public string StudentId { get; set; } = "";
    public LearningEventKind Kind { get; set; }
    public string Lesson { get; set; } = "";
    /// <summary>The check question's id (answers only).</summary>
    public string? Question { get; set; }
    /// <summary>The answer chosen, by its place in the question (answers only).</summary>
    public int? Answer { get; set; }
    public bool? Correct { get; set; }
    public DateTimeOffset At { get; set; }
}

public enum LearningEventKind { Opened, Answered, Finished }

/// <summary>
/// The GPU a student measured with lesson 8's notebook (class mode): one per student, the latest they gave.
/// The figures the instructor's table shows are columns; the whole result is kept as the notebook's JSON.
/// </summary>
public sealed class StudentGpuRecord
{
    public string StudentId { get; set; } = "";
    public string Card { get; set; } = "";
    /// <summary>"cuda", or "cpu" when the notebook had no GPU runtime.</summary>
    public string Device { get; set; } = "";
    public double ForwardImagesPerSecond { get; set; }
    public double TrainImagesPerSecond { get; set; }
    public double? AmpTrainImagesPerSecond { get; set; }
    /// <summary>The day the notebook measured it (yyyy-MM-dd, as it printed).</summary>
    public string Measured { get; set; } = "";
    public string Json { get; set; } = "";
    public DateTimeOffset SavedAt { get; set; }
}
