using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LearnDL.Testing.Lti;

/// <summary>
/// The test platform's side of LTI Dynamic Registration: its OpenID configuration (with the registration endpoint and the
/// LTI platform configuration claim) and a registration endpoint that checks the bearer token and the fields the spec
/// requires of a tool's registration, records it, and answers <see cref="ClientId"/> and <see cref="DeploymentId"/>.
/// </summary>
public sealed partial class TestPlatform
{
    public const string ToolConfigurationClaim = "https://purl.imsglobal.org/spec/lti-tool-configuration";
    public const string PlatformConfigurationClaim = "https://purl.imsglobal.org/spec/lti-platform-configuration";
    public const string ProductName = "testlms";

    /// <summary>The token the platform gives for one registration (the tool sends it as its bearer token).</summary>
    public string RegistrationToken { get; init; } = "registration-token-" + Guid.NewGuid().ToString("N")[..12];

    public string OpenIdConfigurationUrl => BaseUrl + "/.well-known/openid-configuration";
    public string RegistrationEndpoint => BaseUrl + "/register";

    /// <summary>Changes the OpenID configuration before it is served (a test takes a field out or names another issuer).</summary>
    public Action<JsonObject>? EditOpenIdConfiguration { get; set; }

    /// <summary>When set, the registration endpoint refuses every registration with this error_description (HTTP 400).</summary>
    public string? RegistrationRefusal { get; set; }

    /// <summary>Whether the registration's answer names the deployment it made (some LMSs make it later).</summary>
    public bool AnswersDeploymentId { get; set; } = true;

    /// <summary>The registrations the tool posted and the platform accepted, as sent.</summary>
    public ConcurrentQueue<JsonElement> Registrations { get; } = new();

    partial void MapRegistration(WebApplication app)
    {
        app.MapGet("/.well-known/openid-configuration", () =>
        {
            var configuration = new JsonObject
            {
                ["issuer"] = Issuer,
                ["authorization_endpoint"] = AuthorizationEndpoint,
                ["registration_endpoint"] = RegistrationEndpoint,
                ["jwks_uri"] = JwksUrl,
                ["token_endpoint"] = TokenEndpoint,
                ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
                ["token_endpoint_auth_signing_alg_values_supported"] = new JsonArray("RS256"),
                ["scopes_supported"] = new JsonArray([.. GrantedScopes.Prepend("openid").Select(s => JsonValue.Create(s))]),
                ["response_types_supported"] = new JsonArray("id_token"),
                ["subject_types_supported"] = new JsonArray("public", "pairwise"),
                ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
                ["claims_supported"] = new JsonArray("iss", "sub", "name", "given_name", "family_name", "email"),
                [PlatformConfigurationClaim] = new JsonObject
                {
                    ["product_family_code"] = ProductName, ["version"] = "1.0",
                    ["messages_supported"] = new JsonArray(new JsonObject { ["type"] = "LtiResourceLinkRequest" }, new JsonObject { ["type"] = "LtiDeepLinkingRequest" }),
                },
            };
            EditOpenIdConfiguration?.Invoke(configuration);
            return Results.Text(configuration.ToJsonString(), "application/json");
        });
        app.MapPost("/register", async (HttpRequest request) =>
        {
            if (request.Headers.Authorization.ToString() != "Bearer " + RegistrationToken)
                return Results.Json(new { error = "invalid_token", error_description = "The registration token is missing or not the one this platform gave." }, statusCode: 401);
            JsonElement registration;
            try
            {
                registration = (await JsonDocument.ParseAsync(request.Body)).RootElement.Clone();
            }
            catch (JsonException)
            {
                return Results.Json(new { error = "invalid_client_metadata", error_description = "The registration is not JSON." }, statusCode: 400);
            }
            if (RegistrationRefusal is { } refusal) return Results.Json(new { error = "invalid_client_metadata", error_description = refusal }, statusCode: 400);
            if (WrongRegistration(registration) is { } wrong)
                return Results.Json(new { error = "invalid_client_metadata", error_description = $"The registration has a wrong or missing {wrong}." }, statusCode: 400);
            Registrations.Enqueue(registration);
            var answer = JsonNode.Parse(registration.GetRawText())!.AsObject();
            answer["client_id"] = ClientId;
            if (AnswersDeploymentId) answer[ToolConfigurationClaim]!.AsObject()["deployment_id"] = DeploymentId;
            return Results.Text(answer.ToJsonString(), "application/json");
        });
    }

    /// <summary>What the spec requires of a tool's registration that this one lacks, or null.</summary>
    private static string? WrongRegistration(JsonElement r)
    {
        string? Text(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        string[] Strings(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? [.. v.EnumerateArray().Select(x => x.GetString() ?? "")] : [];
        bool Url(string? url) => Uri.TryCreate(url, UriKind.Absolute, out _);
        if (Text(r, "application_type") != "web") return "application_type";
        if (!Strings(r, "response_types").Contains("id_token")) return "response_types";
        if (!Strings(r, "grant_types").Contains("implicit") || !Strings(r, "grant_types").Contains("client_credentials")) return "grant_types";
        if (!Url(Text(r, "initiate_login_uri"))) return "initiate_login_uri";
        if (Strings(r, "redirect_uris") is not { Length: > 0 } redirects || !redirects.All(Url)) return "redirect_uris";
        if (string.IsNullOrEmpty(Text(r, "client_name"))) return "client_name";
        if (!Url(Text(r, "jwks_uri"))) return "jwks_uri";
        if (Text(r, "token_endpoint_auth_method") != "private_key_jwt") return "token_endpoint_auth_method";
        if (!r.TryGetProperty(ToolConfigurationClaim, out var tool) || tool.ValueKind != JsonValueKind.Object) return ToolConfigurationClaim;
        if (string.IsNullOrEmpty(Text(tool, "domain"))) return "domain";
        if (!Url(Text(tool, "target_link_uri"))) return "target_link_uri";
        if (Strings(tool, "claims").Length == 0) return "claims";
        if (!tool.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array
            || messages.EnumerateArray().Any(m => string.IsNullOrEmpty(Text(m, "type")))) return "messages";
        return null;
    }
}
