using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Testing.Lti;

/// <summary>
/// An LTI 1.3 platform (an LMS) for the tests, never shipped: it signs launches with its own RSA key, serves its JWKS
/// and an OIDC authorization endpoint on loopback, and plays both halves of a launch, either as plain HTTP
/// (<see cref="LaunchAsync(HttpClient, Func{string, string}, string, string?)"/>: follows /lti/login's redirect and posts
/// the form to /lti/launch) or for a browser (<see cref="CoursePage"/>: a course page that frames the tool).
/// Its services (token endpoint, roster, grades) live in TestPlatform.Services.cs, mapped by <see cref="MapServices"/>;
/// LTI Dynamic Registration's endpoints in TestPlatform.Registration.cs.
/// </summary>
public sealed partial class TestPlatform : IAsyncDisposable
{
    public const string DefaultClientId = "learndl-test-client";
    public const string DefaultDeploymentId = "test-deployment-1";
    public const string ContextId = "course-101";
    public const string ResourceLinkId = "link-lesson-1";

    public const string LearnerRole = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
    public const string InstructorRole = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<string, IDictionary<string, object?>>> _pending = new();

    /// <summary>The platform's own address, which is also its issuer: http://localhost:PORT (another site than the app's 127.0.0.1).</summary>
    public string BaseUrl { get; }
    public string Issuer => BaseUrl;
    public string ClientId { get; init; } = DefaultClientId;
    public string DeploymentId { get; init; } = DefaultDeploymentId;
    public string JwksUrl => BaseUrl + "/jwks";
    public string AuthorizationEndpoint => BaseUrl + "/auth";
    public string TokenEndpoint => BaseUrl + "/token";

    /// <summary>The key that signs launches (its id is in the JWKS) and one the JWKS does not hold, for the tests that must fail.</summary>
    public RsaSecurityKey Key { get; }
    public RsaSecurityKey UnknownKey { get; }
    public string KeyId => Key.KeyId;

    /// <summary>What the authorization endpoint was asked, in order (the parameters of each request).</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> AuthorizationRequests { get; } = new();

    private TestPlatform(WebApplication app, string baseUrl)
    {
        (_app, BaseUrl) = (app, baseUrl);
        Key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "platform-key-1" };
        UnknownKey = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "platform-key-unknown" };
    }

    public static async Task<TestPlatform> StartAsync()
    {
        var port = FreePort();
        var baseUrl = $"http://localhost:{port}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(baseUrl);
        var app = builder.Build();
        var platform = new TestPlatform(app, baseUrl);
        platform.Map(app);
        await app.StartAsync();
        return platform;
    }

    /// <summary>The app's settings that register this platform as <c>LearnDL:Lti:Platforms:{index}</c> (keys without the LearnDL: prefix when <paramref name="prefix"/> is empty).</summary>
    public IEnumerable<(string Key, string Value)> Settings(int index = 0, string prefix = "LearnDL:")
    {
        var at = $"{prefix}Lti:Platforms:{index}:";
        yield return (at + "Issuer", Issuer);
        yield return (at + "ClientId", ClientId);
        yield return (at + "DeploymentIds:0", DeploymentId);
        yield return (at + "AuthorizationEndpoint", AuthorizationEndpoint);
        yield return (at + "JwksUrl", JwksUrl);
        yield return (at + "TokenEndpoint", TokenEndpoint);
        yield return (at + "Name", "Test LMS");
    }

    /// <summary>
    /// A valid resource-link launch's claims for <paramref name="subject"/>, as a full LTI platform sends them (with the names,
    /// the email, the course, the link, and the roster and grade services): tests take claims out or change them.
    /// </summary>
    public Dictionary<string, object?> LaunchClaims(string nonce, string subject, string targetLinkUri, params string[] roles)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new Dictionary<string, object?>
        {
            ["iss"] = Issuer, ["aud"] = ClientId, ["sub"] = subject, ["nonce"] = nonce,
            ["iat"] = now, ["exp"] = now + 300,
            ["name"] = "Ada Lovelace", ["given_name"] = "Ada", ["family_name"] = "Lovelace", ["email"] = "ada@example.edu",
            ["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiResourceLinkRequest",
            ["https://purl.imsglobal.org/spec/lti/claim/version"] = "1.3.0",
            ["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = DeploymentId,
            ["https://purl.imsglobal.org/spec/lti/claim/target_link_uri"] = targetLinkUri,
            ["https://purl.imsglobal.org/spec/lti/claim/resource_link"] = new Dictionary<string, object> { ["id"] = ResourceLinkId, ["title"] = "LearnDL: Lesson 1" },
            ["https://purl.imsglobal.org/spec/lti/claim/roles"] = roles.ToList(),
            ["https://purl.imsglobal.org/spec/lti/claim/context"] = new Dictionary<string, object>
            {
                ["id"] = ContextId, ["label"] = "DL101", ["title"] = "Deep Learning 101", ["type"] = new List<string> { "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering" },
            },
            ["https://purl.imsglobal.org/spec/lti/claim/tool_platform"] = new Dictionary<string, object> { ["guid"] = "test-platform", ["name"] = "Test LMS" },
            ["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"] = new Dictionary<string, object> { ["document_target"] = "iframe" },
            ["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = new Dictionary<string, object>
            {
                ["context_memberships_url"] = $"{BaseUrl}/contexts/{ContextId}/memberships", ["service_versions"] = new List<string> { "2.0" },
            },
            ["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = new Dictionary<string, object>
            {
                ["scope"] = new List<string>
                {
                    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem", "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                },
                ["lineitems"] = $"{BaseUrl}/contexts/{ContextId}/lineitems",
                ["lineitem"] = $"{BaseUrl}/contexts/{ContextId}/lineitems/1",
            },
        };
    }

    /// <summary>Signs <paramref name="claims"/> (null values are left out) as an id_token: RS256 with <paramref name="key"/> (the platform's by default), whose <c>kid</c> goes in the header when it has one.</summary>
    public string Sign(IDictionary<string, object?> claims, RsaSecurityKey? key = null)
    {
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims.Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!),
            SigningCredentials = new SigningCredentials(key ?? Key, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>The platform's key without its id: a token signed with it has no <c>kid</c> in its header.</summary>
    public RsaSecurityKey KeyWithoutId => new(Key.Rsa);

    /// <summary>The parameters of an OIDC third-party initiated login (what the platform sends to /lti/login).</summary>
    public Dictionary<string, string> LoginParameters(string toolBaseUrl, string loginHint, string? messageHint, string? targetLinkUri = null) => new()
    {
        ["iss"] = Issuer, ["login_hint"] = loginHint, ["target_link_uri"] = targetLinkUri ?? toolBaseUrl.TrimEnd('/') + "/lti/launch",
        ["lti_message_hint"] = messageHint ?? "", ["client_id"] = ClientId, ["lti_deployment_id"] = DeploymentId,
    };

    /// <summary>
    /// A whole launch as plain HTTP, as a browser without script would make it: GET /lti/login, check that it redirects to
    /// this platform's authorization endpoint, then POST the id_token that <paramref name="token"/> makes from the nonce
    /// the tool chose (with the tool's state) to the redirect_uri. <paramref name="tool"/> keeps the tool's cookies.
    /// </summary>
    public async Task<LaunchResult> LaunchAsync(HttpClient tool, Func<string, string> token, string loginHint = "user-1", string? targetLinkUri = null)
    {
        var toolBase = tool.BaseAddress!.GetLeftPart(UriPartial.Authority);
        var query = string.Join("&", LoginParameters(toolBase, loginHint, "hint-" + Guid.NewGuid().ToString("N")[..8], targetLinkUri)
            .Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        var login = await tool.GetAsync("/lti/login?" + query);
        if (login.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.SeeOther) || login.Headers.Location is not { } location)
            throw new InvalidOperationException($"/lti/login answered {(int)login.StatusCode}, not a redirect: {await login.Content.ReadAsStringAsync()}");
        var auth = Parameters(location.Query);
        if (!location.ToString().StartsWith(AuthorizationEndpoint + "?", StringComparison.Ordinal))
            throw new InvalidOperationException($"/lti/login sent the browser to {location}, not to the platform's authorization endpoint.");
        var redirect = new Uri(auth["redirect_uri"]);
        var launch = await tool.PostAsync(redirect.PathAndQuery, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["id_token"] = token(auth["nonce"]), ["state"] = auth["state"],
        }));
        return new LaunchResult(login, auth, launch);
    }

    /// <summary>A launch with <see cref="LaunchClaims"/> for <paramref name="subject"/>, changed by <paramref name="edit"/> before it is signed.</summary>
    public Task<LaunchResult> LaunchAsync(HttpClient tool, string subject, string[] roles, Action<Dictionary<string, object?>>? edit = null, string? targetLinkUri = null)
    {
        var target = targetLinkUri ?? tool.BaseAddress!.GetLeftPart(UriPartial.Authority) + "/lti/launch";
        return LaunchAsync(tool, nonce =>
        {
            var claims = LaunchClaims(nonce, subject, target, roles);
            edit?.Invoke(claims);
            return Sign(claims);
        }, subject, target);
    }

    /// <summary>
    /// A course page of this platform that frames the tool, as an LMS does: its iframe opens the tool's /lti/login, and the
    /// authorization endpoint then posts the launch that <paramref name="claims"/> makes from the tool's nonce. Returns the page's address.
    /// </summary>
    public string CoursePage(string toolBaseUrl, Func<string, IDictionary<string, object?>> claims, string loginHint = "user-1")
    {
        var hint = "hint-" + Guid.NewGuid().ToString("N")[..12];
        _pending[hint] = claims;
        var login = toolBaseUrl.TrimEnd('/') + "/lti/login?" + string.Join("&", LoginParameters(toolBaseUrl, loginHint, hint)
            .Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        _pages[hint] = login;
        return $"{BaseUrl}/course/{hint}";
    }

    private readonly ConcurrentDictionary<string, string> _pages = new();

    private void Map(WebApplication app)
    {
        app.MapGet("/jwks", () => Results.Json(new { keys = new[] { Jwk(Key) } }));
        app.MapGet("/course/{hint}", (string hint) => _pages.TryGetValue(hint, out var login)
            ? Results.Content($"""
                <!doctype html><html><head><title>Test LMS course</title></head><body>
                <h1>Deep Learning 101</h1>
                <iframe id="tool" title="LearnDL" src="{HttpUtility.HtmlAttributeEncode(login)}" width="1200" height="900"
                  allow="clipboard-write" style="border:1px solid #888"></iframe>
                </body></html>
                """, "text/html") : Results.NotFound());
        // The OIDC authorization endpoint: checks what the tool asks as a platform would, then posts the launch to the redirect_uri.
        app.MapGet("/auth", (HttpRequest request) =>
        {
            var p = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString());
            AuthorizationRequests.Enqueue(p);
            string? Wrong() =>
                p.GetValueOrDefault("response_type") != "id_token" ? "response_type" : p.GetValueOrDefault("response_mode") != "form_post" ? "response_mode"
                : p.GetValueOrDefault("scope") != "openid" ? "scope" : p.GetValueOrDefault("prompt") != "none" ? "prompt"
                : p.GetValueOrDefault("client_id") != ClientId ? "client_id" : string.IsNullOrEmpty(p.GetValueOrDefault("nonce")) ? "nonce"
                : string.IsNullOrEmpty(p.GetValueOrDefault("state")) ? "state" : !_pending.ContainsKey(p.GetValueOrDefault("lti_message_hint") ?? "") ? "lti_message_hint" : null;
            if (Wrong() is { } wrong) return Results.BadRequest($"The tool's authorization request has a wrong or missing {wrong}.");
            var token = Sign(_pending[p["lti_message_hint"]](p["nonce"]));
            return Results.Content($"""
                <!doctype html><html><head><title>Launching</title></head><body onload="document.forms[0].submit()">
                <form method="post" action="{HttpUtility.HtmlAttributeEncode(p["redirect_uri"])}">
                <input type="hidden" name="id_token" value="{token}"><input type="hidden" name="state" value="{HttpUtility.HtmlAttributeEncode(p["state"])}">
                <noscript><button type="submit">Continue</button></noscript></form></body></html>
                """, "text/html");
        });
        MapServices(app);
        MapRegistration(app);
    }

    /// <summary>The token endpoint, roster and grades (TestPlatform.Services.cs).</summary>
    partial void MapServices(WebApplication app);

    /// <summary>The OpenID configuration and the registration endpoint of LTI Dynamic Registration (TestPlatform.Registration.cs).</summary>
    partial void MapRegistration(WebApplication app);

    private static object Jwk(RsaSecurityKey key)
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.Rsa.ExportParameters(false)) { KeyId = key.KeyId });
        return new { kty = "RSA", kid = key.KeyId, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E };
    }

    public static Dictionary<string, string> Parameters(string query) =>
        HttpUtility.ParseQueryString(query) is var q ? q.AllKeys.OfType<string>().ToDictionary(k => k, k => q[k]!) : [];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Key.Rsa.Dispose();
        UnknownKey.Rsa.Dispose();
    }
}

/// <summary>The three steps of a launch: /lti/login's answer, the parameters it sent to the authorization endpoint, and /lti/launch's answer.</summary>
public sealed record LaunchResult(HttpResponseMessage Login, IReadOnlyDictionary<string, string> AuthorizationRequest, HttpResponseMessage Launch);
