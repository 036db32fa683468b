using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace LearnDL.Web.Identity;

/// <summary>
/// Every visitor gets an owner cookie on the first request, so runs and limits have someone to
/// belong to without an account. HttpOnly and SameSite=Lax: scripts cannot read it, other sites cannot ride it.
/// </summary>
public static class OwnerCookie
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string Name = "learndl.owner";
    public const string InstructorPolicy = "instructor";

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
            // An API client is told, not redirected to a page.
            options.Events.OnRedirectToLogin = context =>
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Task.CompletedTask;
            };
            options.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });
        services.AddAuthorization(o => o.AddPolicy(InstructorPolicy, p => p.RequireRole(nameof(OwnerRole.Instructor))));
        services.AddCascadingAuthenticationState();
        services.AddScoped<CurrentOwner>();
        return services;
    }

    /// <summary>Pages anyone may open in class mode before choosing a name.</summary>
    private static readonly string[] OpenInClassMode = ["/join", "/instructor/sign-in", "/sign-out", "/account", "/healthz", "/not-found", "/error"];

    /// <summary>
    /// Personal mode: a request without an owner gets a new learner. Class mode: a visitor without a
    /// name is sent to /join to choose one, and the API answers 401 until they have.
    /// </summary>
    public static IApplicationBuilder UseOwners(this IApplicationBuilder app)
    {
        app.UseAuthentication();
        app.Use(async (context, next) =>
        {
            var classMode = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<LearnDLOptions>>().Value.Class.IsOn;
            var owner = RunOwner.From(context.User);
            // A personal-mode cookie from before class mode was switched on is no one in the class.
            if (classMode && owner is { Role: OwnerRole.Learner }) owner = null;
            if (owner is null)
            {
                var path = context.Request.Path;
                if (!classMode)
                {
                    var principal = RunOwner.NewLearner().ToPrincipal(Scheme);
                    await context.SignInAsync(Scheme, principal, new AuthenticationProperties { IsPersistent = true });
                    context.User = principal;
                }
                else if (path.StartsWithSegments("/api"))
                {
                    await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign in first",
                        detail: "This server hosts a class: open it in a browser and choose your name (or sign in as the instructor).").ExecuteAsync(context);
                    return;
                }
                else if (HttpMethods.IsGet(context.Request.Method) && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal)
                         && !OpenInClassMode.Any(open => path.StartsWithSegments(open)))
                {
                    var signIn = path.StartsWithSegments("/instructor") ? "/instructor/sign-in" : "/join";
                    context.Response.Redirect(signIn + "?returnUrl=" + Uri.EscapeDataString(path + context.Request.QueryString));
                    return;
                }
            }
            await next();
        });
        app.UseAuthorization();
        return app;
    }
}
