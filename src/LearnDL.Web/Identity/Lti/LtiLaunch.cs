using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace LearnDL.Web.Identity.Lti;

/// <summary>The LTI 1.3 claim names (IMS LTI Core, NRPS, AGS, Deep Linking).</summary>
public static class LtiClaims
{
    public const string Lti = "https://purl.imsglobal.org/spec/lti/claim/";
    public const string MessageType = Lti + "message_type";
    public const string Version = Lti + "version";
    public const string DeploymentId = Lti + "deployment_id";
    public const string TargetLinkUri = Lti + "target_link_uri";
    public const string ResourceLink = Lti + "resource_link";
    public const string Roles = Lti + "roles";
    public const string Context = Lti + "context";
    public const string Custom = Lti + "custom";
    public const string LaunchPresentation = Lti + "launch_presentation";
    public const string ToolPlatform = Lti + "tool_platform";
    public const string NamesRoleService = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
    public const string AgsEndpoint = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
    public const string DeepLinkingSettings = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
    /// <summary>In a deep-linking response (tool to platform).</summary>
    public const string DeepLinkingData = "https://purl.imsglobal.org/spec/lti-dl/claim/data";
    public const string ContentItems = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items";

    public const string ResourceLinkRequest = "LtiResourceLinkRequest";
    public const string DeepLinkingRequest = "LtiDeepLinkingRequest";
    public const string DeepLinkingResponse = "LtiDeepLinkingResponse";
    public const string LtiVersion = "1.3.0";
}

/// <summary>Who the launch makes the person in LearnDL: the class's instructor, or one of its students.</summary>
public enum LtiRole { Student, Instructor }

public sealed record LtiContext(string Id, string? Label, string? Title, IReadOnlyList<string> Types);
public sealed record LtiResourceLink(string Id, string? Title, string? Description);
/// <summary>NRPS: where the course's roster is read.</summary>
public sealed record LtiNamesRoles(string ContextMembershipsUrl, IReadOnlyList<string> ServiceVersions);
/// <summary>AGS: the course's line items, this link's line item (when the platform made one), and the scopes granted.</summary>
public sealed record LtiGradeService(IReadOnlyList<string> Scopes, string? LineItems, string? LineItem);
public sealed record LtiDeepLinkingSettings(string ReturnUrl, IReadOnlyList<string> AcceptTypes, IReadOnlyList<string> AcceptPresentationDocumentTargets,
    bool AcceptMultiple, bool AutoCreate, string? Data, string? Title, string? Text);
public sealed record LtiPresentation(string? DocumentTarget, string? ReturnUrl, string? Locale);

/// <summary>
/// A launch whose id_token passed every check (<see cref="LtiLaunchValidator"/>): the claims the tool and its services
/// use, read from the validated token. <see cref="Id"/> names it in <see cref="LtiLaunches"/> for the pages that follow.
/// </summary>
public sealed record LtiLaunch
{
    public required string Id { get; init; }
    public required string Issuer { get; init; }
    /// <summary>The tool's client id at this platform (<c>aud</c>, or <c>azp</c> when several audiences).</summary>
    public required string ClientId { get; init; }
    public required string DeploymentId { get; init; }
    public required string Subject { get; init; }
    public required string MessageType { get; init; }
    public string? TargetLinkUri { get; init; }
    public IReadOnlyList<string> Roles { get; init; } = [];
    public string? Name { get; init; }
    public string? GivenName { get; init; }
    public string? FamilyName { get; init; }
    public string? Email { get; init; }
    public LtiContext? Context { get; init; }
    public LtiResourceLink? ResourceLink { get; init; }
    public IReadOnlyDictionary<string, string> Custom { get; init; } = new Dictionary<string, string>();
    public LtiNamesRoles? NamesRoles { get; init; }
    public LtiGradeService? Grades { get; init; }
    public LtiDeepLinkingSettings? DeepLinking { get; init; }
    public LtiPresentation? Presentation { get; init; }
    public DateTimeOffset At { get; init; }

    public LtiRole Role => LtiRoles.Of(Roles);
    public bool IsDeepLinking => MessageType == LtiClaims.DeepLinkingRequest;

    /// <summary>The claims of a token the validator has already checked (signature, issuer, audience, times, nonce, LTI claims).</summary>
    public static LtiLaunch From(JsonWebToken token, string id, string clientId, DateTimeOffset at)
    {
        var payload = Payload(token);
        JsonElement? Object(string name) => payload.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Object ? e : null;
        string? Text(string name) => payload.TryGetProperty(name, out var e) ? Str(e) : null;

        var context = Object(LtiClaims.Context) is { } c && Str(c, "id") is { Length: > 0 } contextId
            ? new LtiContext(contextId, Str(c, "label"), Str(c, "title"), Strings(c, "type")) : null;
        var link = Object(LtiClaims.ResourceLink) is { } r && Str(r, "id") is { Length: > 0 } linkId
            ? new LtiResourceLink(linkId, Str(r, "title"), Str(r, "description")) : null;
        var nrps = Object(LtiClaims.NamesRoleService) is { } n && Str(n, "context_memberships_url") is { Length: > 0 } members
            ? new LtiNamesRoles(members, Strings(n, "service_versions")) : null;
        var ags = Object(LtiClaims.AgsEndpoint) is { } a ? new LtiGradeService(Strings(a, "scope"), Str(a, "lineitems"), Str(a, "lineitem")) : null;
        var dl = Object(LtiClaims.DeepLinkingSettings) is { } d && Str(d, "deep_link_return_url") is { Length: > 0 } back
            ? new LtiDeepLinkingSettings(back, Strings(d, "accept_types"), Strings(d, "accept_presentation_document_targets"),
                Bool(d, "accept_multiple"), Bool(d, "auto_create"), Str(d, "data"), Str(d, "title"), Str(d, "text")) : null;
        var presentation = Object(LtiClaims.LaunchPresentation) is { } p
            ? new LtiPresentation(Str(p, "document_target"), Str(p, "return_url"), Str(p, "locale")) : null;
        var custom = Object(LtiClaims.Custom) is { } cu
            ? cu.EnumerateObject().Where(x => Str(x.Value) is not null).ToDictionary(x => x.Name, x => Str(x.Value)!) : new Dictionary<string, string>();
        var roles = payload.TryGetProperty(LtiClaims.Roles, out var re) && re.ValueKind == JsonValueKind.Array
            ? re.EnumerateArray().Select(Str).OfType<string>().ToList() : [];

        return new LtiLaunch
        {
            Id = id, Issuer = token.Issuer, ClientId = clientId, DeploymentId = Text(LtiClaims.DeploymentId) ?? "", Subject = token.Subject,
            MessageType = Text(LtiClaims.MessageType) ?? "", TargetLinkUri = Text(LtiClaims.TargetLinkUri), Roles = roles,
            Name = Text("name"), GivenName = Text("given_name"), FamilyName = Text("family_name"), Email = Text("email"),
            Context = context, ResourceLink = link, Custom = custom, NamesRoles = nrps, Grades = ags, DeepLinking = dl, Presentation = presentation, At = at,
        };
    }

    /// <summary>
    /// The claims of a token the library has decoded (and, here, validated) as one JSON object: the LTI claims are nested
    /// objects and arrays, which the token's typed accessors do not all return as JSON.
    /// </summary>
    public static JsonElement Payload(JsonWebToken token) =>
        JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(token.EncodedPayload)).RootElement;

    private static string? Str(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        _ => null,
    };

    private static string? Str(JsonElement o, string name) => o.TryGetProperty(name, out var v) ? Str(v) : null;
    private static bool Bool(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static IReadOnlyList<string> Strings(JsonElement o, string name) =>
        !o.TryGetProperty(name, out var v) ? [] : v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(Str).OfType<string>().ToList()
        : Str(v) is { } one ? one.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
}

/// <summary>
/// LTI roles: the instructor's (context Instructor, TeachingAssistant, Administrator; system and institution
/// Administrator), as full URIs or the short forms the certification accepts; everything else, unknown or none, is a student.
/// </summary>
public static class LtiRoles
{
    private static readonly HashSet<string> Teaching = new(StringComparer.Ordinal)
    {
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#TeachingAssistant",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#Lecturer",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#PrimaryInstructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#SecondaryInstructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#Grader",
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin",
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
        "Instructor", "TeachingAssistant", "Administrator",
    };

    public static LtiRole Of(IEnumerable<string> roles) => roles.Any(Teaching.Contains) ? LtiRole.Instructor : LtiRole.Student;
}
