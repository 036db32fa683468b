namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// What LTI needs to know of the course's lessons: which lesson a link names, a lesson's title (a gradebook column's
/// label) and a student's score in it. The lessons' feature answers (Features/Instructor/LessonScores.cs), so LTI
/// does not reach into the features.
/// </summary>
public interface ILessons
{
    /// <summary>The lesson's own slug for one a link names (in any case), or null when there is no such lesson.</summary>
    string? SlugOf(string lessonSlug);

    /// <summary>The lesson's title, or null when there is no such lesson.</summary>
    string? TitleOf(string lessonSlug);

    /// <summary>A student's score in a lesson as it stands (null: no such lesson).</summary>
    Task<LessonScore?> ForAsync(string studentId, string lessonSlug);
}
