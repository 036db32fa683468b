using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity;

/// <summary>
/// Joining the class with a name, the instructor's sign-in and signing out: plain form posts from the
/// static pages /join, /instructor/sign-in and /sign-out (antiforgery checked here) that set or clear
/// the owner cookie and go back where the visitor was going.
/// </summary>
public static class ClassEndpoints
{
    public const string SignInLimit = "instructor-sign-in";

    /// <summary>
    /// At most 5 passphrase attempts a minute: enough for a typo, too few to guess. Counted per browser that
    /// signed in before, otherwise per address (see <see cref="InstructorSession"/>). Joins are not rate-limited
    /// here, where a rename cannot be told from a new name: new names are counted per network by
    /// <see cref="NewNameAllowance"/>, so one student cannot lock out the room behind the same router.
    /// </summary>
    public static IServiceCollection AddClassSignIn(this IServiceCollection services)
    {
        services.AddSingleton<ClassCode>();
        return services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(SignInLimit, http => RateLimitPartition.GetFixedWindowLimiter(InstructorSession.AttemptsPartition(http),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 5, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.ContentType = "text/plain";
                await context.HttpContext.Response.WriteAsync("Too many sign-in attempts. Wait a minute and try again.", cancellationToken);
            };
        });
    }

    public static IEndpointRouteBuilder MapClassSignIn(this IEndpointRouteBuilder app)
    {
        // The token is checked here rather than by the framework's binding, so a forged or expired form
        // gets a plain 400 that says what to do, never an error page.
        var account = app.MapGroup("/account").AllowAnonymous().DisableAntiforgery();
        account.MapPost("/join", JoinAsync);
        account.MapPost("/instructor-sign-in", SignInAsync).RequireRateLimiting(SignInLimit);
        account.MapPost("/sign-out", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            if (await ReadAsync(http, antiforgery, "") is not { } form) return Expired();
            if (form.Problem is { } problem) return problem;
            await http.SignOutAsync(OwnerCookie.Scheme);
            return Results.LocalRedirect("/");
        });
        return app;
    }

    private static IResult Expired() => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "This form has expired",
        detail: "The form was not sent from this site's page, or the page is old. Open the page again and send the form from there.");

    /// <summary>Said of a form that holds what no one types: control characters (NUL, a tab in an address) or more than a form may.</summary>
    private static IResult Unreadable() => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "This form could not be used",
        detail: "It holds characters that have no place in it (control characters such as NUL or a tab). Open the page again, type it anew and send it from there.");

    /// <summary>
    /// The form's field and return address when its token is good; null when it is not (expired, forged). A form the
    /// server cannot read, or a return address with control characters, comes back as <see cref="Unreadable"/>: a 400, never a 500.
    /// </summary>
    private static async Task<(string? Value, string? ReturnUrl, IResult? Problem)?> ReadAsync(HttpContext http, IAntiforgery antiforgery, string field)
    {
        if (!http.Request.HasFormContentType) return null;
        try
        {
            if (!await antiforgery.IsRequestValidAsync(http)) return null;
            var form = await http.Request.ReadFormAsync();
            var (value, returnUrl) = (form[field].ToString(), form["returnUrl"].ToString());
            // A pasted line break in a name is only space (the name's rules collapse it); NUL and the like are no text at all.
            static bool Odd(string text) => text.Any(c => char.IsControl(c) && !char.IsWhiteSpace(c));
            return Odd(value) || Odd(form["code"].ToString()) || returnUrl.Any(char.IsControl) ? (null, null, Unreadable()) : (value, returnUrl, null);
        }
        // The form reader refuses NUL and over-long values; the antiforgery check reads the form first, and wraps it.
        catch (Exception e) when (e is InvalidDataException or AntiforgeryValidationException or BadHttpRequestException)
        {
            return (null, null, Unreadable());
        }
    }

    private static async Task<IResult> JoinAsync(HttpContext http, IAntiforgery antiforgery, StudentRegistry students, ClassCode code, IOptions<LearnDLOptions> options)
    {
        if (await ReadAsync(http, antiforgery, "name") is not var (name, returnUrl, unreadable)) return Expired();
        if (unreadable is not null) return unreadable;
        if (!options.Value.Class.IsOn) return Results.LocalRedirect("/");
        var current = RunOwner.From(http.User);
        var me = current?.Role == OwnerRole.Student ? current.Id : null;
        // A student changing their name has shown the code already.
        var (owner, problem) = me is null && !code.Admits(http.Request.Form["code"].ToString())
            ? (null, "That is not this class's code. Ask your instructor for it.")
            : await students.JoinAsync(name, me, StudentNetworks.Of(http.Connection.RemoteIpAddress));
        // Refused: back to the form with the reason (a network that made too many names is told how long to wait).
        if (owner is null)
            return Results.LocalRedirect($"/join?error={Uri.EscapeDataString(problem!)}&name={Uri.EscapeDataString(name ?? "")}&returnUrl={Uri.EscapeDataString(Local(returnUrl))}");
        await http.SignInAsync(OwnerCookie.Scheme, owner.ToPrincipal(OwnerCookie.Scheme), new AuthenticationProperties { IsPersistent = true });
        return Results.LocalRedirect(Local(returnUrl));
    }

    private static async Task<IResult> SignInAsync(HttpContext http, IAntiforgery antiforgery, IOptions<LearnDLOptions> options, TimeProvider time)
    {
        if (await ReadAsync(http, antiforgery, "passphrase") is not var (passphrase, returnUrl, unreadable)) return Expired();
        if (unreadable is not null) return unreadable;
        var classOptions = options.Value.Class;
        if (!classOptions.IsOn || !Passphrase.Matches(passphrase ?? "", classOptions))
            return Results.LocalRedirect($"/instructor/sign-in?error=wrong&returnUrl={Uri.EscapeDataString(Local(returnUrl, "/instructor"))}");
        await InstructorSession.SignInAsync(http, classOptions, time);
        return Results.LocalRedirect(Local(returnUrl, "/instructor"));
    }

    /// <summary>Only a path on this site: a sign-in never sends anyone elsewhere.</summary>
    internal static string Local(string? url, string fallback = "/") =>
        url is { Length: > 0 } u && u.StartsWith('/') && !u.StartsWith("//", StringComparison.Ordinal) && !u.StartsWith("/\\", StringComparison.Ordinal)
            && !u.Any(char.IsControl) ? u : fallback; // control characters: not an address LocalRedirect accepts
}
