using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity;

/// <summary>
/// Only the app's own pages may open the live connection or change anything. A page of another origin,
/// even one on the same site (another port of the same host, a sibling subdomain, whose requests carry
/// even a SameSite cookie), could otherwise start a circuit as whoever opens it, or post to the API
/// with their cookie. So the live connection (/_blazor: negotiate, WebSocket, long polling) and every
/// request that may change something (any method but GET, HEAD, OPTIONS and TRACE) are refused when the
/// browser says they come from elsewhere: an <c>Origin</c> other than the app's own (its scheme and host,
/// after forwarded headers) or one listed in <see cref="HostingOptions.AllowedOrigins"/>; <c>Origin: null</c>
/// counts as elsewhere; without <c>Origin</c>, a <c>Sec-Fetch-Site</c> of <c>cross-site</c> or <c>same-site</c>.
/// Clients that send neither (scripts with their cookie, the load test) are not browsers riding someone's
/// cookie, and keep working.
/// </summary>
public sealed class SameOriginRule(RequestDelegate next, IOptions<LearnDLOptions> options, ILogger<SameOriginRule> logger)
{
    /// <summary>
    /// Paths that other sites post to by design and that guard themselves instead: an LMS's LTI 1.3 login and
    /// launch, checked by their signed token, state and nonce. Nothing is served there yet; an endpoint that
    /// must be reached from other sites is added here, and only with a guard of its own.
    /// </summary>
    public static readonly IReadOnlyList<PathString> CrossSiteByDesign = [new("/lti/login"), new("/lti/launch")];

    private readonly HashSet<string> _allowed = options.Value.Hosting.AllowedOrigins
        .Select(Normalize).OfType<string>().ToHashSet(StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (Guarded(request) && WhyRefused(request) is { } why)
        {
            logger.LogWarning("Refused {Method} {Path}: {Why}. Behind a reverse proxy, list its public address in LearnDL:Hosting:AllowedOrigins.",
                request.Method, request.Path, why);
            await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Refused: sent from another site's page",
                detail: $"LearnDL only accepts this from its own pages, and {why}. Open LearnDL at its own address and do it there.")
                .ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    private static bool Guarded(HttpRequest request)
    {
        if (request.Path.StartsWithSegments("/_blazor")) return true;
        var method = request.Method;
        var changes = !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method));
        return changes && !CrossSiteByDesign.Any(p => request.Path.StartsWithSegments(p));
    }

    /// <summary>Why the browser's own headers say this request comes from another page than the app's, or null when they do not.</summary>
    private string? WhyRefused(HttpRequest request)
    {
        var origins = request.Headers.Origin;
        if (origins.Count > 0)
        {
            var origin = origins.Count == 1 ? Normalize(origins[0]) : null;
            if (origin is not null && (origin == Normalize($"{request.Scheme}://{request.Host}") || _allowed.Contains(origin))) return null;
            var shown = origins.ToString();
            return $"this request came from a page of {(shown.Length > 80 ? shown[..80] + "..." : shown)}";
        }
        return request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site"
            ? "the browser says this request came from another site's page" : null;
    }

    /// <summary>An origin as scheme://host:port in lower case, or null when it is not an http(s) origin (<c>null</c> included).</summary>
    internal static string? Normalize(string? origin) =>
        Uri.TryCreate(origin?.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
            ? $"{uri.Scheme}://{uri.Host}:{uri.Port}".ToLowerInvariant() : null;
}

public static class SameOriginRuleExtensions
{
    /// <summary>After forwarded headers (the app's own scheme and host are the public ones), before anything that reads the cookie.</summary>
    public static IApplicationBuilder UseSameOriginRule(this IApplicationBuilder app) => app.UseMiddleware<SameOriginRule>();
}
