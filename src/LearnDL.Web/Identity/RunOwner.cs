using System.Security.Claims;

namespace LearnDL.Web.Identity;

public enum OwnerRole { Learner, Student, Instructor }

/// <summary>
/// Who a run, an upload or a lesson's progress belongs to: in personal mode a browser session, in a
/// class a student (or the instructor). Every page and API call resolves it once, from the cookie.
/// </summary>
public sealed record RunOwner(string Id, string Name, OwnerRole Role)
{
    public static RunOwner? From(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true || user.FindFirstValue(ClaimTypes.NameIdentifier) is not { Length: > 0 } id) return null;
        var role = Enum.TryParse<OwnerRole>(user.FindFirstValue(ClaimTypes.Role), out var r) ? r : OwnerRole.Learner;
        return new(id, user.FindFirstValue(ClaimTypes.Name) ?? "", role);
    }

    public ClaimsPrincipal ToPrincipal(string scheme) => new(new ClaimsIdentity(
        [new(ClaimTypes.NameIdentifier, Id), new(ClaimTypes.Name, Name), new(ClaimTypes.Role, Role.ToString())], scheme));

    public const string InstructorId = "instructor";

    /// <summary>A new personal-mode learner: one per browser.</summary>
    public static RunOwner NewLearner() => new("learner-" + Guid.NewGuid().ToString("N")[..12], "You", OwnerRole.Learner);

    public static RunOwner Instructor { get; } = new(InstructorId, "Instructor", OwnerRole.Instructor);

    public bool IsInstructor => Role == OwnerRole.Instructor;
}
