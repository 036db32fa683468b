using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Identity.Lti;

/// <summary>Why a launch was refused: shown to the person (plain English, what to do) and logged.</summary>
public sealed class LtiRefusal(string reason, int status = StatusCodes.Status401Unauthorized) : Exception(reason)
{
    public int Status { get; } = status;
}

/// <summary>
/// Checks a launch's id_token as LTI 1.3 requires, with the identity library (never by hand): a JWT signed RS256 by a key
/// of the platform's JWKS named by its <c>kid</c>; <c>iss</c> the platform's, <c>aud</c> the tool's client id (and
/// <c>azp</c> it too when there are several audiences); <c>exp</c> and <c>iat</c> within a minute's skew; the nonce the tool
/// gave this browser, used once; then the LTI claims: version 1.3.0, a known message type, a registered deployment,
/// the roles claim, <c>sub</c>, and a resource link id (resource link launches) or deep-linking settings.
/// </summary>
public sealed class LtiLaunchValidator(LtiPlatformKeys platformKeys, LtiNonces nonces, TimeProvider time)
{
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(1);
    private readonly JsonWebTokenHandler _handler = new();

    public async Task<LtiLaunch> ValidateAsync(string idToken, LtiPlatform platform, string expectedNonce, CancellationToken cancel)
    {
        if (!_handler.CanReadToken(idToken)) throw new LtiRefusal("The launch's id_token is not a JWT.", StatusCodes.Status400BadRequest);
        JsonWebToken unchecked_;
        try { unchecked_ = _handler.ReadJsonWebToken(idToken); }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or JsonException)
        {
            throw new LtiRefusal("The launch's id_token is not a JWT.", StatusCodes.Status400BadRequest);
        }
        if (string.IsNullOrEmpty(unchecked_.Kid)) throw new LtiRefusal("The launch's token names no key (no kid in its header), so its signature cannot be checked.");

        JsonWebKeySet keys;
        try { keys = await platformKeys.GetAsync(platform, unchecked_.Kid, cancel); }
        catch (InvalidOperationException e)
        {
            throw new LtiRefusal($"The keys of {platform.DisplayName} could not be read from its JWKS address ({e.GetBaseException().Message}). Ask the LMS administrator to check LearnDL's JwksUrl setting.",
                StatusCodes.Status503ServiceUnavailable);
        }
        if (keys.Keys.All(k => k.Kid != unchecked_.Kid))
            throw new LtiRefusal($"The launch's token was signed with a key ({unchecked_.Kid}) that {platform.DisplayName} does not publish.");

        var now = time.GetUtcNow();
        var result = await _handler.ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = platform.Issuer,
            ValidAudience = platform.ClientId,
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = Skew,
            LifetimeValidator = (notBefore, expires, _, _) =>
                expires is { } e && e.ToUniversalTime() > now.UtcDateTime - Skew && (notBefore is not { } nb || nb.ToUniversalTime() <= now.UtcDateTime + Skew),
        });
        if (!result.IsValid) throw new LtiRefusal(Explain(result.Exception, platform));
        var token = (JsonWebToken)result.SecurityToken;

        if (!token.TryGetPayloadValue<long>("iat", out var iat)) throw new LtiRefusal("The launch's token has no issue time (iat).");
        if (DateTimeOffset.FromUnixTimeSeconds(iat) > now + Skew) throw new LtiRefusal("The launch's token says it was issued in the future (iat): check the LMS server's clock.");
        var audiences = token.Audiences.ToList();
        token.TryGetPayloadValue<string>("azp", out var azp);
        if ((audiences.Count > 1 || azp is not null) && azp != platform.ClientId)
            throw new LtiRefusal("The launch's token has several audiences and its authorized party (azp) is not LearnDL's client id.");
        if (!token.TryGetPayloadValue<string>("nonce", out var nonce) || !CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(nonce ?? ""), System.Text.Encoding.UTF8.GetBytes(expectedNonce)))
            throw new LtiRefusal("The launch's token does not carry the nonce LearnDL gave this browser.");
        if (!nonces.TryUse(nonce!, token.ValidTo))
            throw new LtiRefusal("This launch was already used (its nonce was seen before). Launch LearnDL again from the course.");

        var payload = LtiLaunch.Payload(token);
        string? Text(string claim) => payload.TryGetProperty(claim, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        var version = Text(LtiClaims.Version);
        if (version is null) throw new LtiRefusal("The launch carries no LTI version claim: it is not an LTI 1.3 launch.");
        if (version != LtiClaims.LtiVersion) throw new LtiRefusal($"The launch's LTI version is {version}; LearnDL accepts {LtiClaims.LtiVersion}.");
        var messageType = Text(LtiClaims.MessageType);
        if (messageType is null) throw new LtiRefusal("The launch carries no message_type claim.");
        if (messageType is not (LtiClaims.ResourceLinkRequest or LtiClaims.DeepLinkingRequest))
            throw new LtiRefusal($"LearnDL does not handle {messageType} messages; it handles resource link launches and deep linking.");
        var deployment = Text(LtiClaims.DeploymentId);
        if (string.IsNullOrEmpty(deployment)) throw new LtiRefusal("The launch carries no deployment_id claim.");
        if (!platform.DeploymentIds.Contains(deployment))
            throw new LtiRefusal($"Deployment {deployment} of {platform.DisplayName} is not registered in LearnDL. Ask the LearnDL administrator to add it to DeploymentIds.", StatusCodes.Status403Forbidden);
        if (!payload.TryGetProperty(LtiClaims.Roles, out var roles) || roles.ValueKind != JsonValueKind.Array)
            throw new LtiRefusal("The launch carries no roles claim.");
        if (string.IsNullOrEmpty(token.Subject)) throw new LtiRefusal("The launch names no user (no sub claim).");

        var launch = LtiLaunch.From(token, Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)), platform.ClientId, now);
        if (messageType == LtiClaims.ResourceLinkRequest && launch.ResourceLink is null)
            throw new LtiRefusal("The launch carries no resource_link id: LearnDL cannot tell which link was opened.");
        if (messageType == LtiClaims.DeepLinkingRequest && launch.DeepLinking is null)
            throw new LtiRefusal("The deep-linking launch carries no deep_linking_settings with a deep_link_return_url.");
        return launch;
    }

    private static string Explain(Exception? e, LtiPlatform platform) => e switch
    {
        SecurityTokenExpiredException => "The launch's token has expired. Launch LearnDL again from the course (and check the LMS server's clock).",
        SecurityTokenNotYetValidException => "The launch's token is not valid yet: check the LMS server's clock.",
        SecurityTokenInvalidLifetimeException or SecurityTokenNoExpirationException => "The launch's token has no valid expiry time (exp), or it has passed. Launch LearnDL again from the course.",
        SecurityTokenInvalidIssuerException => $"The launch's token was not issued by {platform.Issuer}.",
        SecurityTokenInvalidAudienceException => "The launch's token is not meant for LearnDL (its audience is not LearnDL's client id).",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => $"The launch's signature does not match {platform.DisplayName}'s keys.",
        SecurityTokenInvalidAlgorithmException => "The launch's token is not signed with RS256, as LTI 1.3 requires.",
        _ => "The launch's token could not be checked" + (e is null ? "." : $": {e.GetType().Name}."),
    };
}

/// <summary>Nonces of accepted launches, kept until their token expires: a token replayed within its lifetime is refused.</summary>
public sealed class LtiNonces(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DateTime> _used = new(StringComparer.Ordinal);

    public bool TryUse(string nonce, DateTime expires)
    {
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var (old, until) in _used)
            if (until + LtiLaunchValidator.Skew < now) _used.TryRemove(old, out _);
        return _used.TryAdd(nonce, expires);
    }
}
