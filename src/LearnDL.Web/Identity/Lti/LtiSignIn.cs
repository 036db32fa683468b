using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using LearnDL.Web.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// Who a validated launch is in LearnDL, and signing them in. The instructor's roles (<see cref="LtiRoles"/>) sign in as
/// the class's instructor; anyone else becomes a student of the class under the name the LMS sends (<c>name</c>, or
/// <c>given_name</c> and <c>family_name</c>; with none, a stable pseudonym), one student per (issuer, sub) however often
/// they launch or are renamed there. Two people of one name get "Name 2". The course, the link and who launched it are
/// kept with the service endpoints the platform sent (Data/LtiRecords.cs), for the roster and the grades.
/// </summary>
public sealed class LtiSignIn(IDbContextFactory<LearnDbContext> factory, StudentRegistry students, IOptions<LearnDLOptions> options,
    TimeProvider time, ILogger<LtiSignIn> logger)
{
    /// <summary>One launch at a time makes or renames a student: two first launches of one person make one student.</summary>
    private readonly SemaphoreSlim _admitting = new(1, 1);

    public async Task<RunOwner> SignInAsync(HttpContext http, LtiLaunch launch)
    {
        var owner = launch.Role == LtiRole.Instructor ? RunOwner.Instructor : await AdmitAsync(launch);
        await RecordAsync(launch, owner);
        var principal = owner.ToPrincipal(OwnerCookie.Scheme);
        var identity = (ClaimsIdentity)principal.Identity!;
        identity.AddClaim(new Claim(LtiCookies.Claim, launch.Issuer));
        var properties = new AuthenticationProperties { IsPersistent = true };
        if (owner.IsInstructor)
        {
            // The same sign-in as the passphrase's: it lasts a class day and ends when the passphrase changes.
            var classOptions = options.Value.Class;
            identity.AddClaim(new Claim(InstructorSession.StampClaim, InstructorSession.Stamp(classOptions)));
            (properties.ExpiresUtc, properties.AllowRefresh) = (time.GetUtcNow().AddHours(classOptions.InstructorSessionHours), false);
        }
        await http.SignInAsync(OwnerCookie.Scheme, principal, properties);
        http.User = principal;
        logger.LogInformation("LTI launch from {Issuer} (deployment {Deployment}, context {Context}): {Subject} signed in as {Role} {Owner}.",
            launch.Issuer, launch.DeploymentId, launch.Context?.Id ?? "(none)", launch.Subject, owner.Role, owner.Id);
        return owner;
    }

    /// <summary>The name the LMS sent, or null when it sent none.</summary>
    public static string? NameOf(LtiLaunch launch) =>
        launch.Name is { } n && !string.IsNullOrWhiteSpace(n) ? n
        : string.Join(' ', new[] { launch.GivenName, launch.FamilyName }.Where(p => !string.IsNullOrWhiteSpace(p))) is { Length: > 0 } joined ? joined : null;

    /// <summary>A name for someone the LMS sends without one: the same for the same person, telling nothing about them.</summary>
    public static string Pseudonym(string issuer, string subject) =>
        "Learner " + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(issuer + "\n" + subject)))[..6];

    /// <summary>The LMS's name as a class name may be (letters, digits, spaces and . - _ ' within the length), or null when nothing of it is.</summary>
    private string? Usable(string? name, int max)
    {
        if (name is null) return null;
        if (students.Clean(name.Length > max ? name[..max] : name).Name is { } clean) return clean;
        var kept = new string(name.Where(c => char.IsLetterOrDigit(c) || c is ' ' or '.' or '-' or '_' or '\'').ToArray()).Trim();
        return students.Clean(kept.Length > max ? kept[..max] : kept).Name;
    }

    private async Task<RunOwner> AdmitAsync(LtiLaunch launch)
    {
        var max = options.Value.Class.MaxNameLength;
        var wanted = Usable(NameOf(launch), max) ?? Pseudonym(launch.Issuer, launch.Subject);
        await _admitting.WaitAsync();
        try
        {
            await using var db = await factory.CreateDbContextAsync();
            var known = await db.LtiUsers.FirstOrDefaultAsync(u => u.Issuer == launch.Issuer && u.Subject == launch.Subject);
            var current = known is null ? null : await students.FindAsync(known.StudentId);
            RunOwner? owner = null;
            // Unchanged at the LMS: the name stays as it is here (the instructor may have renamed them in LearnDL).
            if (current is not null && known!.LmsName == wanted) owner = current;
            for (var n = 1; owner is null && n <= 50; n++)
            {
                var suffix = n == 1 ? "" : $" {n}";
                var name = wanted.Length + suffix.Length > max ? wanted[..(max - suffix.Length)].TrimEnd() + suffix : wanted + suffix;
                // Not counted against the network's new names: the LMS vouches for each person.
                (owner, _) = await students.JoinAsync(name, current?.Id);
                if (current is not null && owner is null && n == 50) owner = current; // keep the name they have
            }
            if (owner is null) throw new LtiRefusal("LearnDL could not give you a name in this class. Ask your instructor.", StatusCodes.Status409Conflict);
            var now = time.GetUtcNow();
            if (known is null || current is null)
            {
                if (known is not null) db.LtiUsers.Remove(known); // their student was removed: a new one now
                await db.SaveChangesAsync();
                known = new LtiUserRecord { Issuer = launch.Issuer, Subject = launch.Subject, FirstLaunchAt = now };
                db.LtiUsers.Add(known);
            }
            (known.StudentId, known.LmsName, known.Email, known.LastLaunchAt) = (owner.Id, wanted, launch.Email ?? known.Email, now);
            await db.SaveChangesAsync();
            return owner;
        }
        finally { _admitting.Release(); }
    }

    /// <summary>The course, the link and the launch, with what the platform sent for the roster and grades.</summary>
    private async Task RecordAsync(LtiLaunch launch, RunOwner owner)
    {
        var now = time.GetUtcNow();
        await using var db = await factory.CreateDbContextAsync();
        LtiContextRecord? context = null;
        if (launch.Context is { } c)
        {
            context = await db.LtiContexts.FirstOrDefaultAsync(x => x.Issuer == launch.Issuer && x.DeploymentId == launch.DeploymentId && x.ContextId == c.Id);
            if (context is null) db.LtiContexts.Add(context = new LtiContextRecord
            {
                Issuer = launch.Issuer, DeploymentId = launch.DeploymentId, ContextId = c.Id, FirstLaunchAt = now,
            });
            (context.ClientId, context.Title, context.Label, context.LastLaunchAt) = (launch.ClientId, c.Title ?? context.Title, c.Label ?? context.Label, now);
            if (launch.NamesRoles is { } nrps) context.MembershipsUrl = nrps.ContextMembershipsUrl;
            if (launch.Grades is { } ags) (context.LineItemsUrl, context.AgsScopes) = (ags.LineItems ?? context.LineItemsUrl, string.Join(' ', ags.Scopes));
            await db.SaveChangesAsync();
        }
        if (launch.ResourceLink is not { } r) return;
        var link = await db.LtiResourceLinks.FirstOrDefaultAsync(x => x.Issuer == launch.Issuer && x.DeploymentId == launch.DeploymentId && x.ResourceLinkId == r.Id);
        if (link is null) db.LtiResourceLinks.Add(link = new LtiResourceLinkRecord
        {
            Issuer = launch.Issuer, DeploymentId = launch.DeploymentId, ResourceLinkId = r.Id, FirstLaunchAt = now,
        });
        (link.ContextRecordId, link.Title, link.LastLaunchAt) = (context?.Id ?? link.ContextRecordId, r.Title ?? link.Title, now);
        // What the link opens: its custom parameters, set when it was made by deep linking.
        if (launch.Custom.TryGetValue(LtiTargets.LessonParameter, out var lesson)) link.Lesson = lesson;
        if (launch.Custom.TryGetValue(LtiTargets.PresetParameter, out var preset)) link.Preset = preset;
        if (launch.Grades is { } grades) (link.LineItemUrl, link.AgsScopes) = (grades.LineItem ?? link.LineItemUrl, string.Join(' ', grades.Scopes));
        await db.SaveChangesAsync();
        if (owner.Role != OwnerRole.Student) return;
        var record = await db.LtiLaunches.FirstOrDefaultAsync(x => x.ResourceLinkRecordId == link.Id && x.StudentId == owner.Id);
        if (record is null) db.LtiLaunches.Add(record = new LtiLaunchRecord { ResourceLinkRecordId = link.Id, StudentId = owner.Id, FirstLaunchAt = now });
        (record.Issuer, record.Subject, record.LastLaunchAt) = (launch.Issuer, launch.Subject, now);
        await db.SaveChangesAsync();
    }
}
