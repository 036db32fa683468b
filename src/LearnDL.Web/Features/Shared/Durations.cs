namespace LearnDL.Web.Features.Shared;

/// <summary>Durations as people read them: short in tables and figures, in words in sentences.</summary>
public static class Durations
{
    /// <summary>"4.3 s", "105 s", "3.5 min", "1.2 h".</summary>
    public static string Short(double seconds) =>
        seconds >= 3600 ? $"{seconds / 3600:0.0} h" : seconds >= 120 ? $"{seconds / 60:0.#} min" : seconds >= 10 ? $"{seconds:0} s" : $"{seconds:0.#} s";

    /// <summary>"33 seconds", "42 minutes", "10.0 hours", "2.5 days".</summary>
    public static string InWords(double seconds) =>
        seconds >= 2 * 86400 ? $"{seconds / 86400:0.0} days" : seconds >= 2 * 3600 ? $"{seconds / 3600:0.0} hours"
        : seconds >= 120 ? $"{seconds / 60:0} minutes" : $"{seconds:0.#} seconds";
}
