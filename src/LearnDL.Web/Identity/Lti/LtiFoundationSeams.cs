using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Identity.Lti;

/// <summary>Placeholders until the LTI foundation (registrations, the tool's key store) is merged: no platform, no key.</summary>
public static class LtiFoundationSeams
{
    public static IServiceCollection AddLtiFoundationSeams(this IServiceCollection services)
    {
        services.TryAddSingleton<FindPlatformAccess>(_ => (_, _) => null);
        services.TryAddSingleton<IToolSigningCredentials, NoSigningKey>();
        return services;
    }

    private sealed class NoSigningKey : IToolSigningCredentials
    {
        public SigningCredentials Current => throw new InvalidOperationException("LearnDL has no LTI signing key yet.");
    }
}
