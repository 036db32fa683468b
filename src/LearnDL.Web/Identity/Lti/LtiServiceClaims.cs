using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// What a validated launch tells the LTI services (deep linking, the roster, the gradebook): read from the id_token's
/// payload after the launch has validated it. Missing service claims are null: a platform may offer none of them.
/// </summary>
public sealed record LtiServiceClaims(
    string Issuer, string ClientId, string DeploymentId, string UserId, string MessageType,
    string? ResourceLinkId, string? ContextId, string? ContextTitle, IReadOnlyDictionary<string, string> Custom,
    string? LineItemsUrl, string? LineItemUrl, IReadOnlyList<string> AgsScopes,
    string? MembershipsUrl, DeepLinkingSettings? DeepLinking)
{
    public const string MessageTypeClaim = "https://purl.imsglobal.org/spec/lti/claim/message_type";
    public const string DeploymentIdClaim = "https://purl.imsglobal.org/spec/lti/claim/deployment_id";
    public const string ResourceLinkClaim = "https://purl.imsglobal.org/spec/lti/claim/resource_link";
    public const string ContextClaim = "https://purl.imsglobal.org/spec/lti/claim/context";
    public const string CustomClaim = "https://purl.imsglobal.org/spec/lti/claim/custom";
    public const string VersionClaim = "https://purl.imsglobal.org/spec/lti/claim/version";

    /// <summary>The custom parameter naming the lesson a link opens (set by LearnDL's deep linking).</summary>
    public const string LessonParameter = "learndl_lesson";
    /// <summary>The custom parameter naming the lesson's Try-it preset a link points at.</summary>
    public const string PresetParameter = "learndl_preset";

    /// <summary>The lesson this link opens, when it is one of LearnDL's deep links.</summary>
    public string? Lesson => Custom.TryGetValue(LessonParameter, out var slug) && slug.Length > 0 ? slug : null;

    public string? Preset => Custom.TryGetValue(PresetParameter, out var name) && name.Length > 0 ? name : null;

    /// <summary>The platform lets LearnDL post scores here (a line item, or the context's line items to find the link's in).</summary>
    public bool CanPostScores => AgsScopes.Contains(Ags.ScoreScope) && (LineItemUrl is not null || (LineItemsUrl is not null && AgsScopes.Contains(Ags.LineItemScope)));

    public static LtiServiceClaims From(JsonWebToken token)
    {
        using var json = JsonDocument.Parse(Base64UrlEncoder.Decode(token.EncodedPayload));
        return From(json.RootElement);
    }

    public static LtiServiceClaims From(JsonElement payload)
    {
        var audience = payload.TryGetProperty("aud", out var aud) && aud.ValueKind == JsonValueKind.Array
            ? aud.EnumerateArray().Select(a => a.GetString()).FirstOrDefault() : Text(payload, "aud");
        var link = Object(payload, ResourceLinkClaim);
        var context = Object(payload, ContextClaim);
        var ags = Object(payload, Ags.EndpointClaim);
        var nrps = Object(payload, Nrps.Claim);
        var custom = Object(payload, CustomClaim) is { } c
            ? c.EnumerateObject().Where(p => p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                .ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText())
            : [];
        return new(
            Text(payload, "iss") ?? "", Text(payload, "azp") ?? audience ?? "", Text(payload, DeploymentIdClaim) ?? "", Text(payload, "sub") ?? "",
            Text(payload, MessageTypeClaim) ?? "",
            link is { } l ? Text(l, "id") : null, context is { } x ? Text(x, "id") : null, context is { } y ? Text(y, "title") ?? Text(y, "label") : null,
            custom,
            ags is { } a ? Text(a, "lineitems") : null, ags is { } b ? Text(b, "lineitem") : null,
            ags is { } s && s.TryGetProperty("scope", out var scopes) && scopes.ValueKind == JsonValueKind.Array
                ? [.. scopes.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)] : [],
            nrps is { } n ? Text(n, "context_memberships_url") : null,
            DeepLinkingSettings.From(payload));
    }

    internal static JsonElement? Object(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v.Clone() : null;

    internal static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
