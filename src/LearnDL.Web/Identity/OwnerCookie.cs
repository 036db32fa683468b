using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity;

/// <summary>
/// Every visitor gets an owner cookie on the first request, so runs and limits have someone to
/// belong to without an account. HttpOnly and SameSite=Lax: scripts cannot read it, other sites cannot ride it.
/// The instructor's is SameSite=Strict: a link followed from another site does not arrive signed in as them.
/// </summary>
public static class OwnerCookie
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string Name = "learndl.owner";

    public static IServiceCollection AddOwners(this IServiceCollection services)
    {
        services.AddAuthentication(Scheme).AddCookie(Scheme, options =>
        {
            options.Cookie.Name = Name;
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.ExpireTimeSpan = TimeSpan.FromDays(60);
            options.SlidingExpiration = true;
            options.Events.OnRedirectToLogin = context => RefuseAsync(context, StatusCodes.Status401Unauthorized);
            options.Events.OnRedirectToAccessDenied = context => RefuseAsync(context, StatusCodes.Status403Forbidden);
            options.Events.OnValidatePrincipal = ValidateAsync;
            options.CookieManager = new StrictForInstructor(options);
        });
        services.AddAccessRules();
        services.AddCascadingAuthenticationState();
        // An open page's sign-in follows the register (a removed student becomes no one, a renamed one their new name).
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, ClassRegisterAuthenticationState>();
        services.AddScoped<CurrentOwner>();
        return services;
    }

    /// <summary>
    /// A page asked for without the right to it goes to the page that gives it (/join, or the instructor's
    /// sign-in); the API and the live connection (/_blazor) are told, with a status and a reason.
    /// </summary>
    private static async Task RefuseAsync(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var request = context.Request;
        var forInstructor = request.Path.StartsWithSegments("/instructor") || request.Path.StartsWithSegments("/api/instructor");
        if (HttpMethods.IsGet(request.Method) && !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/_blazor"))
        {
            var signIn = forInstructor ? "/instructor/sign-in" : "/join";
            context.Response.Redirect(signIn + "?returnUrl=" + Uri.EscapeDataString(request.Path + request.QueryString));
            return;
        }
        // Someone who has not joined is told to; someone who has, that this is not theirs.
        var joined = RunOwner.From(context.HttpContext.User) is { Role: not OwnerRole.Learner } || !ClassMode(context.HttpContext);
        await (status == StatusCodes.Status403Forbidden && joined
            ? Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "For the instructor",
                detail: "Only the instructor of this class may do this.")
            : Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign in first",
                detail: forInstructor ? "Sign in as the instructor at /instructor/sign-in."
                    : "This server hosts a class: open it in a browser and choose your name (or sign in as the instructor).")).ExecuteAsync(context.HttpContext);
    }

    /// <summary>
    /// Writes the owner cookie SameSite=Strict when it signs in the instructor, and Lax for everyone else. Here, not in
    /// OnSigningIn, because a renewal (sliding expiration, a replaced principal) writes the cookie without that event.
    /// </summary>
    private sealed class StrictForInstructor(CookieAuthenticationOptions options) : ICookieManager
    {
        private readonly ChunkingCookieManager _cookies = new();

        public string? GetRequestCookie(HttpContext context, string key) => _cookies.GetRequestCookie(context, key);

        public void AppendResponseCookie(HttpContext context, string key, string? value, CookieOptions cookie)
        {
            var principal = key == options.Cookie.Name ? options.TicketDataFormat.Unprotect(value)?.Principal : null;
            // Signed in by an LMS launch: a cookie the LMS's iframe keeps (Identity/Lti/LtiCookies.cs).
            if (Lti.LtiCookies.FromLaunch(principal) && Lti.LtiCookies.CanBeSecure(context.Request)) Lti.LtiCookies.Partitioned(cookie);
            else if (RunOwner.From(principal ?? new()) is { IsInstructor: true }) cookie.SameSite = SameSiteMode.Strict;
            _cookies.AppendResponseCookie(context, key, value, cookie);
        }

        public void DeleteCookie(HttpContext context, string key, CookieOptions cookie)
        {
            // A partitioned cookie is only removed by a removal that says Partitioned too.
            if (key == options.Cookie.Name && Lti.LtiCookies.CanBeSecure(context.Request)
                && Lti.LtiCookies.FromLaunch(options.TicketDataFormat.Unprotect(_cookies.GetRequestCookie(context, key))?.Principal))
                Lti.LtiCookies.Partitioned(cookie);
            _cookies.DeleteCookie(context, key, cookie);
        }
    }

    private static bool ClassMode(HttpContext http) => http.RequestServices.GetRequiredService<IOptions<LearnDLOptions>>().Value.Class.IsOn;

    /// <summary>
    /// On every request: a student the instructor removed is no one (they choose a name again), a renamed
    /// one gets their new name, and an instructor's sign-in ends when the passphrase changes.
    /// </summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var owner = RunOwner.From(context.Principal!);
        if (owner is null || owner.Role == OwnerRole.Learner) return;
        var options = context.HttpContext.RequestServices.GetRequiredService<IOptions<LearnDLOptions>>().Value.Class;
        if (owner.Role == OwnerRole.Instructor)
        {
            if (options.IsOn && context.Principal!.FindFirstValue(InstructorSession.StampClaim) == InstructorSession.Stamp(options)) return;
        }
        else if (options.IsOn && await context.HttpContext.RequestServices.GetRequiredService<StudentRegistry>().FindAsync(owner.Id) is { } student)
        {
            if (student.Name == owner.Name) return;
            context.ReplacePrincipal(Lti.LtiCookies.KeepMark(context.Principal!, student.ToPrincipal(Scheme)));
            context.ShouldRenew = true;
            return;
        }
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(Scheme);
    }

    /// <summary>
    /// Personal mode: a request without an owner gets a new learner, so runs and limits have someone to
    /// belong to. Class mode: who may have what is decided by the authorization rules (<see cref="Access"/>).
    /// </summary>
    public static IApplicationBuilder UseOwners(this IApplicationBuilder app)
    {
        app.UseAuthentication();
        app.Use(async (context, next) =>
        {
            if (!ClassMode(context) && RunOwner.From(context.User) is null)
            {
                var principal = RunOwner.NewLearner().ToPrincipal(Scheme);
                await context.SignInAsync(Scheme, principal, new AuthenticationProperties { IsPersistent = true });
                context.User = principal;
            }
            await next();
        });
        app.UseAuthorization();
        return app;
    }
}
