using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Identity.Lti;

/// <summary>Names of LTI Deep Linking 2.0.</summary>
public static class DeepLinkingNames
{
    public const string RequestMessage = "LtiDeepLinkingRequest";
    public const string ResponseMessage = "LtiDeepLinkingResponse";
    public const string SettingsClaim = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
    public const string ContentItemsClaim = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items";
    public const string DataClaim = "https://purl.imsglobal.org/spec/lti-dl/claim/data";
    public const string MessageClaim = "https://purl.imsglobal.org/spec/lti-dl/claim/msg";
    public const string ResourceLinkType = "ltiResourceLink";
}

/// <summary>What the platform asked for in a deep linking request: where to send the answer, what it accepts, and its data to echo.</summary>
public sealed record DeepLinkingSettings(string ReturnUrl, IReadOnlyList<string> AcceptTypes, bool AcceptMultiple, bool AcceptLineItem, string? Data)
{
    public bool AcceptsResourceLinks => AcceptTypes.Count == 0 || AcceptTypes.Contains(DeepLinkingNames.ResourceLinkType);

    public static DeepLinkingSettings? From(JsonElement payload)
    {
        if (LtiServiceClaims.Object(payload, DeepLinkingNames.SettingsClaim) is not { } s || LtiServiceClaims.Text(s, "deep_link_return_url") is not { } url) return null;
        var types = s.TryGetProperty("accept_types", out var t) && t.ValueKind == JsonValueKind.Array
            ? t.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList() : [];
        // accept_lineitem missing: the platform says nothing against line items (Canvas and Moodle create them).
        var lineItems = !s.TryGetProperty("accept_lineitem", out var li) || li.ValueKind != JsonValueKind.False;
        var multiple = s.TryGetProperty("accept_multiple", out var m) && m.ValueKind == JsonValueKind.True;
        return new(url, types, multiple, lineItems, LtiServiceClaims.Text(s, "data"));
    }
}

/// <summary>An instructor's deep linking request, kept while they choose (the picker's address holds its random id).</summary>
public sealed record DeepLinkRequest(string Issuer, string ClientId, string DeploymentId, DeepLinkingSettings Settings, DateTimeOffset At);

/// <summary>A choice offered to the platform: a link that launches LearnDL on a lesson (with a gradebook column when it is graded).</summary>
public sealed record DeepLinkItem(string Title, string Text, string Url, IReadOnlyDictionary<string, string> Custom, string ResourceId, int? ScoreMaximum);

/// <summary>
/// Deep linking requests waiting for the instructor's choice: unguessable ids that expire (the picker needs no
/// cookie, so that it works in an LMS's iframe where cookies are blocked; the id is as hard to guess as a token).
/// </summary>
public sealed class DeepLinkRequests(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);
    private readonly ConcurrentDictionary<string, DeepLinkRequest> _requests = new();

    public string Add(DeepLinkRequest request)
    {
        foreach (var old in _requests.Where(r => time.GetUtcNow() - r.Value.At > Lifetime)) _requests.TryRemove(old);
        var id = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
        _requests[id] = request;
        return id;
    }

    public DeepLinkRequest? Find(string id) =>
        _requests.TryGetValue(id, out var r) && time.GetUtcNow() - r.At <= Lifetime ? r : null;
}

/// <summary>The signed <c>LtiDeepLinkingResponse</c> (DL 2.0 §4): iss = the tool's client id, aud = the platform, the request's deployment and data.</summary>
public static class DeepLinkingResponse
{
    private static readonly JsonWebTokenHandler Handler = new();

    public static string Create(DeepLinkRequest request, IReadOnlyList<DeepLinkItem> items, SigningCredentials credentials, DateTimeOffset now, string? message = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["nonce"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            [LtiServiceClaims.MessageTypeClaim] = DeepLinkingNames.ResponseMessage,
            [LtiServiceClaims.VersionClaim] = "1.3.0",
            [LtiServiceClaims.DeploymentIdClaim] = request.DeploymentId,
            // The identity libraries write JsonElement values as JSON: arrays and objects stay arrays and objects.
            [DeepLinkingNames.ContentItemsClaim] = JsonDocument.Parse(new JsonArray([.. items.Select(i => ContentItem(i, request.Settings))]).ToJsonString()).RootElement.Clone(),
        };
        if (request.Settings.Data is { } data) claims[DeepLinkingNames.DataClaim] = data;
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

    private static JsonObject ContentItem(DeepLinkItem item, DeepLinkingSettings settings)
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
        if (item.ScoreMaximum is > 0 and var maximum && settings.AcceptLineItem)
            json["lineItem"] = new JsonObject { ["scoreMaximum"] = maximum, ["label"] = item.Title, ["resourceId"] = item.ResourceId, ["tag"] = Ags.Tag };
        return json;
    }
}
