using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity;

/// <summary>
/// Joining the class with a name, and the instructor's sign-in: plain form posts (antiforgery checked
/// by the framework) that set the owner cookie and go back where the visitor was going.
/// </summary>
public static class ClassEndpoints
{
    public const string SignInLimit = "instructor-sign-in";

    /// <summary>At most 5 passphrase attempts a minute from one address: enough for a typo, too few to guess.</summary>
    public static IServiceCollection AddClassSignIn(this IServiceCollection services) => services.AddRateLimiter(limiter =>
    {
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.AddPolicy(SignInLimit, http => RateLimitPartition.GetFixedWindowLimiter(
            http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = 5, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        limiter.OnRejected = async (context, cancellationToken) =>
        {
            context.HttpContext.Response.ContentType = "text/plain";
            await context.HttpContext.Response.WriteAsync("Too many sign-in attempts from this address. Wait a minute and try again.", cancellationToken);
        };
    });

    public static IEndpointRouteBuilder MapClassSignIn(this IEndpointRouteBuilder app)
    {
        app.MapPost("/join", JoinAsync);
        app.MapPost("/instructor/sign-in", SignInAsync).RequireRateLimiting(SignInLimit);
        app.MapPost("/sign-out", async (HttpContext http) =>
        {
            await http.SignOutAsync(OwnerCookie.Scheme);
            return Results.LocalRedirect("/");
        });
        return app;
    }

    private static async Task<IResult> JoinAsync([FromForm] string? name, [FromForm] string? returnUrl, HttpContext http,
        StudentRegistry students, IOptions<LearnDLOptions> options)
    {
        if (!options.Value.Class.IsOn) return Results.LocalRedirect("/");
        var current = RunOwner.From(http.User);
        var (owner, problem) = await students.JoinAsync(name, current?.Role == OwnerRole.Student ? current.Id : null);
        if (owner is null)
            return Results.LocalRedirect($"/join?error={Uri.EscapeDataString(problem!)}&name={Uri.EscapeDataString(name ?? "")}&returnUrl={Uri.EscapeDataString(Local(returnUrl))}");
        await http.SignInAsync(OwnerCookie.Scheme, owner.ToPrincipal(OwnerCookie.Scheme), new AuthenticationProperties { IsPersistent = true });
        return Results.LocalRedirect(Local(returnUrl));
    }

    private static async Task<IResult> SignInAsync([FromForm] string? passphrase, [FromForm] string? returnUrl, HttpContext http, IOptions<LearnDLOptions> options)
    {
        var classOptions = options.Value.Class;
        if (!classOptions.IsOn || !Passphrase.Matches(passphrase ?? "", classOptions))
            return Results.LocalRedirect($"/instructor/sign-in?error=wrong&returnUrl={Uri.EscapeDataString(Local(returnUrl, "/instructor"))}");
        await http.SignInAsync(OwnerCookie.Scheme, RunOwner.Instructor.ToPrincipal(OwnerCookie.Scheme), new AuthenticationProperties { IsPersistent = true });
        return Results.LocalRedirect(Local(returnUrl, "/instructor"));
    }

    /// <summary>Only a path on this site: a sign-in never sends anyone elsewhere.</summary>
    internal static string Local(string? url, string fallback = "/") =>
        url is { Length: > 0 } u && u.StartsWith('/') && !u.StartsWith("//", StringComparison.Ordinal) && !u.StartsWith("/\\", StringComparison.Ordinal) ? u : fallback;
}
