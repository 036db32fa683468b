using LearnDL.Web.Data;
using Microsoft.Extensions.Caching.Memory;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// Where a launch lands. A link made by deep linking names its lesson (or a lesson's Try-it preset) in its custom
/// parameters; a deep-linking launch goes to the page where the instructor picks one; anything else to the lessons
/// (a student) or the dashboard (the instructor).
/// </summary>
public static class LtiTargets
{
    /// <summary>The custom parameter of a resource link that names its lesson's slug.</summary>
    public const string LessonParameter = "learndl_lesson";
    /// <summary>The custom parameter of a resource link that names a Try-it preset (of the lesson <see cref="LessonParameter"/> names).</summary>
    public const string PresetParameter = "learndl_preset";
    /// <summary>Where a deep-linking launch goes, with <c>?launch=</c> the launch's id in <see cref="LtiLaunches"/>.</summary>
    public const string DeepLinkingPath = "/lti/deep-linking";

    public static string PathFor(LtiLaunch launch, ILessons lessons)
    {
        if (launch.IsDeepLinking) return $"{DeepLinkingPath}?launch={Uri.EscapeDataString(launch.Id)}";
        if (launch.Custom.TryGetValue(LessonParameter, out var slug) && lessons.SlugOf(slug) is { } lesson) return $"/lessons/{lesson}";
        return launch.Role == LtiRole.Instructor ? "/instructor" : "/lessons";
    }
}

/// <summary>
/// Validated launches for the pages that follow them (the deep-linking page reads its settings), kept in memory for an
/// hour by their id: the LMS holds the instructor's page no longer. What lasts is in the database (Data/LtiRecords.cs).
/// </summary>
public sealed class LtiLaunches(IMemoryCache cache)
{
    public static readonly TimeSpan Kept = TimeSpan.FromHours(1);

    public void Keep(LtiLaunch launch) => cache.Set(Key(launch.Id), launch, Kept);

    public LtiLaunch? Find(string? id) => id is { Length: > 0 } && cache.TryGetValue(Key(id), out LtiLaunch? launch) ? launch : null;

    private static string Key(string id) => "lti-launch:" + id;
}
