using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity.Lti;

/// <summary>LTI 1.3 registrations and endpoints (/lti/...), in one place.</summary>
public static class LtiServices
{
    public static IServiceCollection AddLti(this IServiceCollection services)
    {
        // Any platform, configured or registered by URL earlier, puts the server in class mode: its launches sign in the
        // class's students and instructor. Registering one by URL needs the instructor's dashboard, so class mode is on already.
        services.PostConfigure<LearnDLOptions>(o => o.Class.LtiPlatforms = o.Lti.IsOn || LtiPlatforms.AnyRegisteredIn(o.ResolvedDataFolder));
        services.AddSingleton<LtiPlatforms>();
        services.AddSingleton<LtiRegistrationCode>();
        services.AddSingleton<LtiRegistration>();
        services.AddSingleton<LtiToolKeys>();
        services.AddMemoryCache();
        services.AddHttpClient(LtiPlatformKeys.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<LtiPlatformKeys>();
        services.AddSingleton<LtiNonces>();
        services.AddSingleton<LtiLaunchValidator>();
        services.AddSingleton<LtiLogin>();
        services.AddSingleton<LtiSignIn>();
        services.AddSingleton<LtiLaunches>();
        services.AddSingleton<IPostConfigureOptions<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>, LtiCookies.Antiforgery>();
        return services;
    }
}
