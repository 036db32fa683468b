using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Identity.Lti;

/// <summary>What the LTI services need to know of a registered platform: who it is, who LearnDL is to it, where tokens come from.</summary>
public sealed record PlatformAccess(string Issuer, string ClientId, string TokenEndpoint)
{
    /// <summary>The platform in a message: its token endpoint's host (never a path of this server).</summary>
    public string Host => Uri.TryCreate(TokenEndpoint, UriKind.Absolute, out var uri) ? uri.Host : Issuer;
}

/// <summary>The registered platform an issuer and client id (any of the issuer's when null) name (LearnDL:Lti:Platforms), or null when none is.</summary>
public delegate PlatformAccess? FindPlatformAccess(string issuer, string? clientId);

/// <summary>The key LearnDL signs with now (the tool's key store), as credentials with their <c>kid</c>.</summary>
public interface IToolSigningCredentials
{
    SigningCredentials Current { get; }
}

/// <summary>An LMS's service answered something LearnDL cannot use; the message says which service and what to check.</summary>
public sealed class PlatformServiceException(string message, bool worthRetrying = true, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>False when trying again cannot help until someone changes a setting (a refused client, a missing scope).</summary>
    public bool WorthRetrying { get; } = worthRetrying;
}

/// <summary>
/// Access tokens for an LMS's services (LTI Advantage: OAuth 2 client credentials with a JWT assertion signed by
/// the tool, RFC 7523), one per platform and set of scopes, kept until shortly before it expires. The assertion's
/// <c>aud</c> is the token endpoint itself: Canvas refuses anything else.
/// </summary>
public sealed class PlatformTokens(IHttpClientFactory http, IToolSigningCredentials signing, TimeProvider time, ILogger<PlatformTokens> logger)
{
    /// <summary>The named HTTP client LearnDL calls the LMS's services with.</summary>
    public const string Client = "lti";
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private static readonly JsonWebTokenHandler Tokens = new();
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Until)> _cache = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _asking = new();

    /// <summary>How many tokens were asked of platforms (the tests' measure of the cache).</summary>
    public int Requests => _requests;
    private int _requests;

    /// <summary>A token for <paramref name="scopes"/>: the cached one while it lasts, else a new one (one request at a time per key).</summary>
    public async Task<string> GetAsync(PlatformAccess platform, IEnumerable<string> scopes, CancellationToken cancellationToken = default)
    {
        var scope = string.Join(' ', scopes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        var key = $"{platform.Issuer}\n{platform.ClientId}\n{platform.TokenEndpoint}\n{scope}";
        if (Fresh(key) is { } cached) return cached;
        var gate = _asking.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (Fresh(key) is { } other) return other; // another caller got it while this one waited
            var (token, lifetime) = await RequestAsync(platform, scope, cancellationToken);
            // Kept a little shorter than the platform says: a token must not expire between the check and its use.
            var margin = TimeSpan.FromSeconds(Math.Min(60, lifetime.TotalSeconds / 10));
            _cache[key] = (token, time.GetUtcNow() + lifetime - margin);
            return token;
        }
        finally { gate.Release(); }
    }

    /// <summary>Forgets a token the platform refused (401): the next call asks for a new one.</summary>
    public void Forget(PlatformAccess platform, string token)
    {
        foreach (var entry in _cache.Where(e => e.Value.Token == token && e.Key.StartsWith(platform.Issuer + "\n", StringComparison.Ordinal)))
            _cache.TryRemove(entry);
    }

    private string? Fresh(string key) => _cache.TryGetValue(key, out var c) && c.Until > time.GetUtcNow() ? c.Token : null;

    /// <summary>The client assertion: iss = sub = the tool's client id, aud = the token endpoint, a fresh jti, five minutes to live.</summary>
    internal string Assertion(PlatformAccess platform)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return Tokens.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = platform.ClientId,
            Audience = platform.TokenEndpoint,
            IssuedAt = now,
            Expires = now.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["sub"] = platform.ClientId, ["jti"] = Guid.NewGuid().ToString("N") },
            SigningCredentials = signing.Current,
        });
    }

    private async Task<(string Token, TimeSpan Lifetime)> RequestAsync(PlatformAccess platform, string scope, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, platform.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_assertion_type"] = AssertionType,
                ["client_assertion"] = Assertion(platform),
                ["scope"] = scope,
            }),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        Interlocked.Increment(ref _requests);
        HttpResponseMessage response;
        try { response = await http.CreateClient(Client).SendAsync(request, cancellationToken); }
        catch (HttpRequestException e)
        {
            throw new PlatformServiceException($"LearnDL could not reach the token endpoint of {platform.Host}: {e.Message}", inner: e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("The token endpoint of {Platform} answered {Status}: {Body}", platform.Issuer, (int)response.StatusCode, Short(body));
                var client = (int)response.StatusCode is 400 or 401 or 403;
                throw new PlatformServiceException(
                    $"The token endpoint of {platform.Host} refused LearnDL ({(int)response.StatusCode}{OAuthError(body)}). " +
                    (client ? "Check on the LMS that LearnDL's client id and its JWKS URL (/lti/jwks) are registered, and that the tool may use the grade and roster services."
                            : "The LMS may be busy: LearnDL tries again."),
                    worthRetrying: !client || (int)response.StatusCode == 429);
            }
            try
            {
                using var json = JsonDocument.Parse(body);
                var token = json.RootElement.GetProperty("access_token").GetString();
                if (string.IsNullOrEmpty(token)) throw new KeyNotFoundException();
                var seconds = json.RootElement.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var s) && s > 0 ? s : 3600;
                return (token, TimeSpan.FromSeconds(seconds));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new PlatformServiceException($"The token endpoint of {platform.Host} answered without an access token.", inner: e);
            }
        }
    }

    private static string OAuthError(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? ": " + e.GetString() : "";
        }
        catch (JsonException) { return ""; }
    }

    internal static string Short(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
