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
        });
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        services.AddScoped<CurrentOwner>();
        return services;
    }

    /// <summary>Signs in a new learner when the request has no owner yet.</summary>
    public static IApplicationBuilder UseOwners(this IApplicationBuilder app)
    {
        app.UseAuthentication();
        app.Use(async (context, next) =>
        {
            if (RunOwner.From(context.User) is null)
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
