using System.Collections.Concurrent;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// Each platform's public keys (its JWKS), fetched and cached by the identity library's <see cref="ConfigurationManager{T}"/>:
/// re-read every 12 hours, and at once (at most each minute) when a launch names a key id the cache lacks, so a
/// platform's key rotation is followed without letting unknown key ids make LearnDL hammer its JWKS.
/// </summary>
public sealed class LtiPlatformKeys(IHttpClientFactory clients)
{
    public const string HttpClientName = "lti-platform";
    private readonly ConcurrentDictionary<string, ConfigurationManager<JsonWebKeySet>> _managers = new(StringComparer.Ordinal);

    /// <summary>The platform's keys; with <paramref name="kid"/>, refreshed once first when none has that id.</summary>
    public async Task<JsonWebKeySet> GetAsync(LtiPlatform platform, string? kid, CancellationToken cancel)
    {
        var manager = _managers.GetOrAdd(platform.JwksUrl, Create);
        var keys = await manager.GetConfigurationAsync(cancel);
        if (kid is null || keys.Keys.Any(k => k.Kid == kid)) return keys;
        manager.RequestRefresh();
        return await manager.GetConfigurationAsync(cancel);
    }

    private ConfigurationManager<JsonWebKeySet> Create(string jwksUrl)
    {
        var loopback = Uri.TryCreate(jwksUrl, UriKind.Absolute, out var uri) && uri.IsLoopback;
        return new ConfigurationManager<JsonWebKeySet>(jwksUrl, new JwksRetriever(),
            new HttpDocumentRetriever(clients.CreateClient(HttpClientName)) { RequireHttps = !loopback })
        {
            AutomaticRefreshInterval = TimeSpan.FromHours(12),
            RefreshInterval = TimeSpan.FromMinutes(1),
        };
    }

    /// <summary>A JWKS document is the whole configuration here (LTI platforms register their JWKS URL, not a discovery document).</summary>
    private sealed class JwksRetriever : IConfigurationRetriever<JsonWebKeySet>
    {
        public async Task<JsonWebKeySet> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel) =>
            new(await retriever.GetDocumentAsync(address, cancel));
    }
}
