using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity.Lti;

/// <summary>LTI 1.3 registrations and endpoints (/lti/...), in one place.</summary>
public static class LtiServices
{
    public static IServiceCollection AddLti(this IServiceCollection services)
    {
        // Any registered platform puts the server in class mode: its launches sign in the class's students and instructor.
        services.PostConfigure<LearnDLOptions>(o => o.Class.LtiPlatforms = o.Lti.IsOn);
        services.AddSingleton<LtiToolKeys>();
        return services;
    }
}
