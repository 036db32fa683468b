using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// Inside an LMS's page LearnDL is a cross-site iframe, where browsers that block third-party cookies send none but
/// partitioned ones (CHIPS: <c>Partitioned; Secure; SameSite=None</c>, kept apart per top-level site). So the cookies a
/// launch relies on are written that way: the launch's state, the owner cookie of someone signed in by a launch (marked
/// with <see cref="Claim"/>), and the antiforgery cookie while LTI is on. Secure needs HTTPS (browsers also accept it on
/// http://localhost and 127.0.0.1); on plain HTTP elsewhere the cookies stay as they were, and LMS launches need HTTPS anyway.
/// </summary>
public static class LtiCookies
{
    /// <summary>On the owner cookie of someone signed in by a launch: the platform's issuer.</summary>
    public const string Claim = "learndl:lti-issuer";

    /// <summary>Whether a cookie can be Secure here: HTTPS, or a loopback host (which browsers treat as secure).</summary>
    public static bool CanBeSecure(HttpRequest request) =>
        request.IsHttps || request.Host.Host is "localhost" or "127.0.0.1" or "[::1]";

    /// <summary>Makes <paramref name="cookie"/> one that an iframe of another site may keep: partitioned, Secure, SameSite=None.</summary>
    public static CookieOptions Partitioned(CookieOptions cookie)
    {
        cookie.SameSite = SameSiteMode.None;
        cookie.Secure = true;
        if (!cookie.Extensions.Contains("Partitioned")) cookie.Extensions.Add("Partitioned");
        return cookie;
    }

    public static bool FromLaunch(ClaimsPrincipal? principal) => principal?.FindFirst(Claim) is not null;

    /// <summary>Keeps the launch's mark when a sign-in is replaced (a student renamed by the instructor).</summary>
    public static ClaimsPrincipal KeepMark(ClaimsPrincipal from, ClaimsPrincipal into)
    {
        if (from.FindFirst(Claim) is { } mark) ((ClaimsIdentity)into.Identity!).AddClaim(new Claim(Claim, mark.Value));
        return into;
    }

    /// <summary>
    /// The antiforgery cookie, partitioned while LTI is on (and the request can have Secure cookies): forms work inside the
    /// LMS's iframe. Asked at each cookie, since a platform registered by URL turns LTI on without a restart.
    /// </summary>
    internal sealed class Antiforgery(LtiPlatforms platforms) : IPostConfigureOptions<AntiforgeryOptions>
    {
        public void PostConfigure(string? name, AntiforgeryOptions antiforgery)
        {
            antiforgery.Cookie = new PartitionedWhenSecure(antiforgery.Cookie, platforms);
            // Framing is Hosting's to say (X-Frame-Options DENY, or frame-ancestors naming the LMSs): antiforgery's own
            // SAMEORIGIN would contradict the LMSs' frame-ancestors on every page with a form.
            antiforgery.SuppressXFrameOptionsHeader = true;
        }
    }

    private sealed class PartitionedWhenSecure(CookieBuilder inner, LtiPlatforms platforms) : CookieBuilder
    {
        public override string? Name { get => inner.Name; set => inner.Name = value; }
        public override string? Path { get => inner.Path; set => inner.Path = value; }
        public override string? Domain { get => inner.Domain; set => inner.Domain = value; }
        public override bool HttpOnly { get => inner.HttpOnly; set => inner.HttpOnly = value; }
        public override SameSiteMode SameSite { get => inner.SameSite; set => inner.SameSite = value; }
        public override CookieSecurePolicy SecurePolicy { get => inner.SecurePolicy; set => inner.SecurePolicy = value; }
        public override TimeSpan? Expiration { get => inner.Expiration; set => inner.Expiration = value; }
        public override TimeSpan? MaxAge { get => inner.MaxAge; set => inner.MaxAge = value; }
        public override bool IsEssential { get => inner.IsEssential; set => inner.IsEssential = value; }

        public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
        {
            var cookie = inner.Build(context, expiresFrom);
            return platforms.IsOn && CanBeSecure(context.Request) ? LtiCookies.Partitioned(cookie) : cookie;
        }
    }
}
