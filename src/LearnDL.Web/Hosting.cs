using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace LearnDL.Web;

/// <summary>
/// What a server on a network needs beyond the app: security headers on every answer, and, when it
/// sits behind a reverse proxy or holds a certificate, forwarded headers and HTTPS redirection.
/// </summary>
public static class Hosting
{
    /// <summary>
    /// Scripts only from this site (Blazor, MudBlazor, Plotly: no inline scripts, no eval); styles may be inline
    /// (MudBlazor and Plotly set style attributes); pictures may be data: URLs (thumbnails); no framing by other sites.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static IServiceCollection AddHosting(this IServiceCollection services, HostingOptions hosting)
    {
        if (hosting.ForwardedHeaders)
            services.Configure<ForwardedHeadersOptions>(o =>
            {
                o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
                foreach (var proxy in hosting.KnownProxies) o.KnownProxies.Add(IPAddress.Parse(proxy));
            });
        return services;
    }

    /// <summary>
    /// The policy with framing allowed to this app and <paramref name="frameOrigins"/> (the registered LMSs' pages, LTI),
    /// or to none when there are none. Never <c>*</c>.
    /// </summary>
    public static string ContentSecurityPolicyFor(IReadOnlyList<string> frameOrigins) => frameOrigins.Count == 0 ? ContentSecurityPolicy
        : ContentSecurityPolicy.Replace("frame-ancestors 'none'", "frame-ancestors 'self' " + string.Join(' ', frameOrigins), StringComparison.Ordinal);

    /// <param name="frameOrigins">Asked at each answer: an LMS registered by URL may frame LearnDL at once.</param>
    public static WebApplication UseHosting(this WebApplication app, HostingOptions hosting, Func<IReadOnlyList<string>>? frameOrigins = null)
    {
        var policy = new FramePolicy([], ContentSecurityPolicy);
        // First, so client addresses (the sign-in rate limit) and the scheme are the real ones.
        if (hosting.ForwardedHeaders) app.UseForwardedHeaders();
        if (hosting.HttpsRedirection) app.UseHttpsRedirection();
        // Uptime monitors and link checkers ask with HEAD: answer as for GET (the server sends no body for HEAD).
        app.Use((context, next) =>
        {
            if (HttpMethods.IsHead(context.Request.Method)) context.Request.Method = HttpMethods.Get;
            return next();
        });
        app.Use(async (context, next) =>
        {
            var origins = frameOrigins?.Invoke() ?? [];
            // The same list comes back until a platform registers: the policy is made once per list.
            var now = policy;
            if (!ReferenceEquals(now.Origins, origins)) policy = now = new FramePolicy(origins, ContentSecurityPolicyFor(origins));
            var framed = origins.Count > 0;
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = now.Policy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            // X-Frame-Options cannot name origins: with LMSs allowed to frame, frame-ancestors alone says which.
            if (!framed) headers.XFrameOptions = "DENY";
            await next();
        });
        return app;
    }

    private sealed record FramePolicy(IReadOnlyList<string> Origins, string Policy);
}
