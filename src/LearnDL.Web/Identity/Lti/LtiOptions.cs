namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// LTI 1.3: the learning management systems (platforms) that may launch LearnDL, from <c>LearnDL:Lti</c>. With at
/// least one platform the server hosts a class (launches sign students and the instructor in), as with a passphrase.
/// </summary>
public sealed class LtiOptions
{
    public List<LtiPlatform> Platforms { get; set; } = [];

    /// <summary>How long a rotated-out key of the tool stays in /lti/jwks: platforms cache JWKS, and tokens signed with it may still be in flight.</summary>
    public double RetiredKeyDays { get; set; } = 7;

    public bool IsOn => Platforms.Count > 0;

    /// <summary>The platform that has this issuer and client id (the client id may be left out when the issuer has only one registration).</summary>
    /// <remarks>The app asks <see cref="LtiPlatforms"/>, which adds the platforms registered by URL.</remarks>
    public LtiPlatform? Find(string? issuer, string? clientId = null) => Find(Platforms, issuer, clientId);

    public static LtiPlatform? Find(IEnumerable<LtiPlatform> platforms, string? issuer, string? clientId)
    {
        var ofIssuer = platforms.Where(p => string.Equals(p.Issuer, issuer, StringComparison.Ordinal)).ToList();
        return string.IsNullOrEmpty(clientId) ? (ofIssuer.Count == 1 ? ofIssuer[0] : null)
            : ofIssuer.FirstOrDefault(p => string.Equals(p.ClientId, clientId, StringComparison.Ordinal));
    }

    /// <summary>Every origin that may frame LearnDL's pages: the configured platforms' (never <c>*</c>).</summary>
    public IReadOnlyList<string> FrameOrigins() => FrameOriginsOf(Platforms);

    public static IReadOnlyList<string> FrameOriginsOf(IEnumerable<LtiPlatform> platforms) =>
        platforms.SelectMany(p => p.ResolvedFrameOrigins()).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>An address a platform may use: https://, or http:// on this machine's loopback only (the tests' platform).</summary>
    public static bool IsSecureUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));

    /// <summary>What is wrong with the settings, each as the setting and what to do (checked at start-up).</summary>
    public IEnumerable<string> Problems()
    {
        if (RetiredKeyDays is < 0 or > 365 or double.NaN) yield return "LearnDL:Lti:RetiredKeyDays must be between 0 and 365.";
        for (var i = 0; i < Platforms.Count; i++)
        {
            var p = Platforms[i];
            var at = $"LearnDL:Lti:Platforms:{i}";
            if (string.IsNullOrWhiteSpace(p.Issuer)) yield return $"{at}:Issuer is empty: paste the platform's issuer (for Canvas cloud, https://canvas.instructure.com).";
            if (string.IsNullOrWhiteSpace(p.ClientId)) yield return $"{at}:ClientId is empty: paste the client id the platform gave LearnDL.";
            if (p.DeploymentIds.Count == 0 || p.DeploymentIds.Any(string.IsNullOrWhiteSpace))
                yield return $"{at}:DeploymentIds must list the deployment id(s) the platform shows for LearnDL.";
            foreach (var (name, url) in new[] { ("AuthorizationEndpoint", p.AuthorizationEndpoint), ("JwksUrl", p.JwksUrl), ("TokenEndpoint", p.TokenEndpoint) })
                if (!IsSecureUrl(url))
                    yield return $"{at}:{name} must be an https:// address (http:// only on this machine's loopback).";
            foreach (var origin in p.FrameOrigins)
                if (SameOriginRule.Normalize(origin) is null)
                    yield return $"{at}:FrameOrigins: '{origin}' is not an origin such as https://school.instructure.com (scheme and host, an optional port, no path; never *).";
            if (Platforms.Take(i).Any(o => o.Issuer == p.Issuer && o.ClientId == p.ClientId))
                yield return $"{at}: the issuer and client id are the same as an earlier platform's: list each registration once.";
        }
    }
}

/// <summary>One registration of LearnDL in a platform (an LMS): what its administrator pastes from the platform's side.</summary>
public sealed class LtiPlatform
{
    /// <summary>The platform's issuer (<c>iss</c> of its tokens), e.g. https://canvas.instructure.com.</summary>
    public string Issuer { get; set; } = "";
    /// <summary>The client id the platform gave LearnDL (<c>aud</c> of its tokens).</summary>
    public string ClientId { get; set; } = "";
    /// <summary>The deployments of LearnDL in that platform that may launch it.</summary>
    public List<string> DeploymentIds { get; set; } = [];
    /// <summary>Where /lti/login sends the browser (the platform's OIDC authorization endpoint).</summary>
    public string AuthorizationEndpoint { get; set; } = "";
    /// <summary>The platform's public keys, which sign its launches.</summary>
    public string JwksUrl { get; set; } = "";
    /// <summary>The platform's OAuth 2 token endpoint, for the services (roster, grades).</summary>
    public string TokenEndpoint { get; set; } = "";
    /// <summary>A name for the instructor's pages; the issuer's host when empty.</summary>
    public string Name { get; set; } = "";
    /// <summary>
    /// Origins whose pages may show LearnDL in a frame (a school's Canvas at https://school.instructure.com while its
    /// issuer is https://canvas.instructure.com). Empty: the origins of the issuer and the authorization endpoint.
    /// </summary>
    public List<string> FrameOrigins { get; set; } = [];

    public string DisplayName => Name is { Length: > 0 } ? Name : Uri.TryCreate(Issuer, UriKind.Absolute, out var u) ? u.Host : Issuer;

    /// <summary>The frame origins as scheme://host:port (the defaults when none are listed).</summary>
    public IEnumerable<string> ResolvedFrameOrigins() =>
        (FrameOrigins.Count > 0 ? FrameOrigins : new[] { OriginOf(Issuer), OriginOf(AuthorizationEndpoint) }.OfType<string>())
        .Select(SameOriginRule.Normalize).OfType<string>().Select(Shown).Distinct(StringComparer.Ordinal);

    private static string? OriginOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u) ? $"{u.Scheme}://{u.Authority}" : null;

    /// <summary>An origin as a CSP source: the default port left out (https://a.edu, not https://a.edu:443).</summary>
    private static string Shown(string normalized) => new Uri(normalized) is var u && u.IsDefaultPort ? $"{u.Scheme}://{u.Host}" : $"{u.Scheme}://{u.Host}:{u.Port}";
}
