using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Identity.Lti;

/// <summary>Names of LTI Deep Linking 2.0 beyond the launch's (<see cref="LtiClaims"/>); the custom parameters are <see cref="LtiTargets"/>'s.</summary>
public static class DeepLinkingNames
{
    public const string MessageClaim = "https://purl.imsglobal.org/spec/lti-dl/claim/msg";
    public const string ResourceLinkType = "ltiResourceLink";
}

/// <summary>An instructor's deep linking request: the platform, the deployment, and what it accepts.</summary>
public sealed record DeepLinkRequest(string Issuer, string ClientId, string DeploymentId, LtiDeepLinkingSettings Settings)
{
    public bool AcceptsResourceLinks => Settings.AcceptTypes.Count == 0 || Settings.AcceptTypes.Contains(DeepLinkingNames.ResourceLinkType);

    /// <summary>The request a deep linking launch made, or null for any other launch.</summary>
    public static DeepLinkRequest? Of(LtiLaunch launch) =>
        launch is { IsDeepLinking: true, DeepLinking: { } settings } ? new(launch.Issuer, launch.ClientId, launch.DeploymentId, settings) : null;
}

/// <summary>A choice offered to the platform: a link that launches LearnDL on a lesson (with a gradebook column when it is graded).</summary>
public sealed record DeepLinkItem(string Title, string Text, string Url, IReadOnlyDictionary<string, string> Custom, string ResourceId, int? ScoreMaximum);

/// <summary>The signed <c>LtiDeepLinkingResponse</c> (DL 2.0 §4): iss = the tool's client id, aud = the platform, the request's deployment and data.</summary>
public static class DeepLinkingResponse
{
    private static readonly JsonWebTokenHandler Handler = new();

    public static string Create(DeepLinkRequest request, IReadOnlyList<DeepLinkItem> items, SigningCredentials credentials, DateTimeOffset now, string? message = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["nonce"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            [LtiClaims.MessageType] = LtiClaims.DeepLinkingResponse,
            [LtiClaims.Version] = LtiClaims.LtiVersion,
            [LtiClaims.DeploymentId] = request.DeploymentId,
            // The identity libraries write JsonElement values as JSON: arrays and objects stay arrays and objects.
            [LtiClaims.ContentItems] = JsonDocument.Parse(new JsonArray([.. items.Select(ContentItem)]).ToJsonString()).RootElement.Clone(),
        };
        if (request.Settings.Data is { } data) claims[LtiClaims.DeepLinkingData] = data;
        if (message is not null) claims[DeepLinkingNames.MessageClaim] = message;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = request.ClientId,
            Audience = request.Issuer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.UtcDateTime.AddMinutes(5),
            Claims = claims,
            SigningCredentials = credentials,
        });
    }

    private static JsonObject ContentItem(DeepLinkItem item)
    {
        var custom = new JsonObject();
        foreach (var (key, value) in item.Custom) custom[key] = value;
        var json = new JsonObject
        {
            ["type"] = DeepLinkingNames.ResourceLinkType,
            ["title"] = item.Title,
            ["text"] = item.Text,
            ["url"] = item.Url,
            ["custom"] = custom,
        };
        // Canvas and Moodle make the gradebook column with the link; a platform that takes no line items ignores it (DL 2.0).
        if (item.ScoreMaximum is > 0 and var maximum)
            json["lineItem"] = new JsonObject { ["scoreMaximum"] = maximum, ["label"] = item.Title, ["resourceId"] = item.ResourceId, ["tag"] = Ags.Tag };
        return json;
    }
}
