namespace LearnDL.Training.Runs;

/// <summary>
/// How a run that did not complete is described to its learner, in one place for the web server's dispatcher,
/// its lifecycle and the worker machines (which word the same endings).
/// </summary>
public static class RunEndings
{
    public const string CancelledBeforeStart = "Cancelled before it started.";

    public static string ServerStopped(string? detail) => $"The server stopped during this run. {detail}".Trim();

    public static string TimedOut(string why) => $"The run stopped without anyone cancelling it (a time-out): {why}";

    public static string FailedUnexpectedly(string why) => $"The run failed unexpectedly: {why}";

    public static string ResultNotSaved(string why) => $"The run finished, but its result could not be saved ({why}). It is shown here until the server restarts.";

    public static string EndingNotSaved(string message, string why) => $"{message} (This could not be saved: {why})";
}
