using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Identity.Lti;

/// <summary>What /lti/login promised a browser: checked by /lti/launch (state, nonce, and which platform and target).</summary>
public sealed record LtiLoginState(string State, string Nonce, string Issuer, string ClientId, string TargetLinkUri);

/// <summary>
/// The OIDC third-party initiated login's state, kept in the browser that started it: a cookie per login (several
/// launches may run at once in one course page), named by its state, holding the nonce, encrypted and signed by the
/// data-protection keys, for ten minutes, on /lti only, partitioned (see <see cref="LtiCookies"/>).
/// </summary>
public sealed class LtiLogin(IDataProtectionProvider protection)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private const string CookiePrefix = "learndl.lti-state.";
    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector("LearnDL.Lti.LoginState").ToTimeLimitedDataProtector();

    public LtiLoginState Start(HttpContext http, LtiPlatform platform, string targetLinkUri)
    {
        var state = new LtiLoginState(Random(), Random(), platform.Issuer, platform.ClientId, targetLinkUri);
        http.Response.Cookies.Append(CookieName(state.State), _protector.Protect(JsonSerializer.Serialize(state), Lifetime), Options(http));
        return state;
    }

    /// <summary>The state this browser started with <paramref name="state"/>, taken (its cookie is removed), or null when it has none.</summary>
    public LtiLoginState? Take(HttpContext http, string state)
    {
        if (state.Length is < 16 or > 100 || state.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))) return null;
        var name = CookieName(state);
        if (http.Request.Cookies[name] is not { Length: > 0 } value) return null;
        http.Response.Cookies.Delete(name, Options(http));
        try
        {
            var kept = JsonSerializer.Deserialize<LtiLoginState>(_protector.Unprotect(value));
            return kept is not null && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(kept.State), System.Text.Encoding.UTF8.GetBytes(state)) ? kept : null;
        }
        catch (Exception e) when (e is CryptographicException or JsonException) { return null; }
    }

    private static string CookieName(string state) => CookiePrefix + state[..16];

    private static CookieOptions Options(HttpContext http)
    {
        var cookie = new CookieOptions { HttpOnly = true, Path = "/lti", MaxAge = Lifetime, IsEssential = true, SameSite = SameSiteMode.Lax, Secure = http.Request.IsHttps };
        return LtiCookies.CanBeSecure(http.Request) ? LtiCookies.Partitioned(cookie) : cookie;
    }

    private static string Random() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
}
