using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;

namespace LearnDL.Web.Identity;

/// <summary>
/// The instructor's sign-in: it lasts a class day (<see cref="ClassOptions.InstructorSessionHours"/>), not
/// the students' sixty days, and ends at once when the passphrase changes (the cookie carries a stamp of
/// it). A browser that has signed in before is remembered, so that a student guessing from the same
/// network address (a lab behind one router) uses up that address's attempts, not the instructor's.
/// </summary>
public static class InstructorSession
{
    public const string StampClaim = "learndl:passphrase-stamp";
    public const string TrustedBrowserCookie = "learndl.instructor-browser";
    private const string Purpose = "LearnDL.InstructorBrowser";

    /// <summary>A short fingerprint of the configured passphrase (or hash): it changes when they do and reveals nothing of them.</summary>
    public static string Stamp(ClassOptions options) => Convert.ToBase64String(SHA256.HashData(
        Encoding.UTF8.GetBytes($"learndl-instructor|{options.InstructorPassphrase.Trim()}|{options.InstructorPassphraseHash.Trim()}")))[..22];

    public static async Task SignInAsync(HttpContext http, ClassOptions options, TimeProvider time)
    {
        var instructor = RunOwner.Instructor.ToPrincipal(OwnerCookie.Scheme);
        ((ClaimsIdentity)instructor.Identity!).AddClaim(new Claim(StampClaim, Stamp(options)));
        await http.SignInAsync(OwnerCookie.Scheme, instructor, new AuthenticationProperties
        {
            IsPersistent = true,
            ExpiresUtc = time.GetUtcNow().AddHours(options.InstructorSessionHours),
            AllowRefresh = false,
        });
        http.Response.Cookies.Append(TrustedBrowserCookie, Protector(http).Protect(Guid.NewGuid().ToString("N")), new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, IsEssential = true,
            Expires = time.GetUtcNow().AddDays(365), Path = "/account",
        });
    }

    /// <summary>Whom sign-in attempts are counted against: a browser the instructor signed in from before, or else the address.</summary>
    public static string AttemptsPartition(HttpContext http)
    {
        if (http.Request.Cookies[TrustedBrowserCookie] is { Length: > 0 } token)
        {
            try { return "browser:" + Protector(http).Unprotect(token); }
            catch (CryptographicException) { } // forged or from another server: just an address
        }
        return "address:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    private static IDataProtector Protector(HttpContext http) =>
        http.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);
}
