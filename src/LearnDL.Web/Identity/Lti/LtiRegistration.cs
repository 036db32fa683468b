using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace LearnDL.Web.Identity.Lti;

/// <summary>An LMS LearnDL registered in by URL: the platform as kept, and the LMS's product name for the page.</summary>
public sealed record RegisteredPlatform(LtiPlatform Platform, string Product);

/// <summary>
/// LTI Dynamic Registration, the tool's side: read the platform's OpenID configuration (the address the LMS gives), check
/// it, post LearnDL's client registration to its registration endpoint with the LMS's registration token, and keep the
/// client id and deployment id it answers in <see cref="LtiPlatforms"/>. Any failure is an <see cref="LtiRefusal"/>
/// saying what to check (the endpoint logs it), and nothing is kept.
/// </summary>
public sealed class LtiRegistration(IHttpClientFactory clients, LtiPlatforms platforms)
{
    public const string ToolConfiguration = "https://purl.imsglobal.org/spec/lti-tool-configuration";
    public const string PlatformConfiguration = "https://purl.imsglobal.org/spec/lti-platform-configuration";

    /// <summary>Registers LearnDL (at <paramref name="toolOrigin"/>) in the LMS whose configuration is at <paramref name="configurationUrl"/>.</summary>
    public async Task<RegisteredPlatform> RegisterAsync(string configurationUrl, string? registrationToken, string toolOrigin, CancellationToken cancel)
    {
        var http = clients.CreateClient(LtiPlatformKeys.HttpClientName);
        var (configuration, product) = await ReadConfigurationAsync(http, configurationUrl, registrationToken, cancel);
        var answer = await PostRegistrationAsync(http, configuration, registrationToken, toolOrigin, cancel);
        var clientId = Text(answer, "client_id")
            ?? throw new LtiRefusal($"{product} answered the registration without a client_id, so LearnDL cannot tell its launches apart. Nothing was kept; ask the LMS administrator to remove the half-made registration there and try again.", StatusCodes.Status502BadGateway);
        // The spec lets the LMS name the deployment it made for this registration; LearnDL accepts launches from that one only (as with configured platforms).
        var deployment = answer.TryGetProperty(ToolConfiguration, out var tool) && tool.ValueKind == JsonValueKind.Object ? Text(tool, "deployment_id") : null;
        if (platforms.IsConfigured(configuration.Issuer, clientId))
            throw new LtiRefusal($"{product} ({configuration.Issuer}) with client id {clientId} is already set up under LearnDL:Lti:Platforms in LearnDL's settings; that setting stays in charge, so nothing was changed.", StatusCodes.Status409Conflict);
        var platform = new LtiPlatform
        {
            Issuer = configuration.Issuer, ClientId = clientId, DeploymentIds = deployment is null ? [] : [deployment],
            AuthorizationEndpoint = configuration.AuthorizationEndpoint, JwksUrl = configuration.JwksUri, TokenEndpoint = configuration.TokenEndpoint,
            Name = product,
        };
        platforms.Register(platform);
        return new RegisteredPlatform(platform, product);
    }

    private static async Task<(OpenIdConnectConfiguration Configuration, string Product)> ReadConfigurationAsync(
        HttpClient http, string configurationUrl, string? token, CancellationToken cancel)
    {
        if (!LtiOptions.IsSecureUrl(configurationUrl))
            throw new LtiRefusal("The LMS's configuration address (openid_configuration) must be an https:// address. Start the registration from the LMS again.", StatusCodes.Status400BadRequest);
        var at = new Uri(configurationUrl);
        string json;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, at);
            if (token is { Length: > 0 }) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token); // Canvas asks for it here too
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await http.SendAsync(request, cancel);
            json = await response.Content.ReadAsStringAsync(cancel);
            if (!response.IsSuccessStatusCode)
                throw new LtiRefusal($"{at.Host} did not give its configuration (HTTP {(int)response.StatusCode}){Said(json)}. Start the registration from the LMS again; the LMS's registration may have expired.", StatusCodes.Status502BadGateway);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            throw new LtiRefusal($"LearnDL could not reach {at.Host} to read its configuration ({e.Message}). Check that this LearnDL server can reach the LMS, then start the registration again.", StatusCodes.Status502BadGateway);
        }
        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = OpenIdConnectConfiguration.Create(json);
        }
        catch (Exception e) when (e is ArgumentException or JsonException)
        {
            throw new LtiRefusal($"What {at.Host} gave as its configuration is not an OpenID configuration (JSON). Start the registration from the LMS's own tool registration.", StatusCodes.Status502BadGateway);
        }
        if (!LtiOptions.IsSecureUrl(configuration.Issuer))
            throw new LtiRefusal($"The LMS's issuer '{configuration.Issuer}' is not an https:// address; LearnDL registers only in LMSs served over HTTPS.", StatusCodes.Status400BadRequest);
        var issuerHost = new Uri(configuration.Issuer).Host;
        // The spec's check: a configuration served from another host than its issuer's could claim to be any LMS.
        if (!string.Equals(issuerHost, at.Host, StringComparison.OrdinalIgnoreCase))
            throw new LtiRefusal($"The configuration at {at.Host} names the issuer {configuration.Issuer}, on another host. LTI Dynamic Registration requires the same host, so LearnDL did not register; ask the LMS administrator to check the LMS's issuer setting.", StatusCodes.Status400BadRequest);
        foreach (var (name, url) in new[] { ("registration_endpoint", configuration.RegistrationEndpoint), ("authorization_endpoint", configuration.AuthorizationEndpoint),
                     ("jwks_uri", configuration.JwksUri), ("token_endpoint", configuration.TokenEndpoint) })
            if (!LtiOptions.IsSecureUrl(url))
                throw new LtiRefusal($"The LMS's configuration has no usable {name} (an https:// address), so LearnDL cannot {(name == "registration_endpoint" ? "register there by URL: enter the values of /lti/config by hand instead" : "work with it")}.", StatusCodes.Status400BadRequest);
        return (configuration, ProductOf(json) ?? issuerHost);
    }

    /// <summary>The LMS's product (Moodle, Canvas, ...) from the LTI platform configuration claim, or null when it names none.</summary>
    private static string? ProductOf(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty(PlatformConfiguration, out var lti) && lti.ValueKind == JsonValueKind.Object
            && Text(lti, "product_family_code") is { } product ? product : null;
    }

    private static async Task<JsonElement> PostRegistrationAsync(HttpClient http, OpenIdConnectConfiguration configuration, string? token, string toolOrigin, CancellationToken cancel)
    {
        var endpoint = new Uri(configuration.RegistrationEndpoint);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = JsonContent.Create(LtiToolConfiguration.Registration(toolOrigin)) };
            if (token is { Length: > 0 }) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await http.SendAsync(request, cancel);
            var body = await response.Content.ReadAsStringAsync(cancel);
            if (!response.IsSuccessStatusCode)
                throw new LtiRefusal($"{endpoint.Host} refused the registration (HTTP {(int)response.StatusCode}){Said(body)}. Start the registration from the LMS again; its registration may have expired.", StatusCodes.Status502BadGateway);
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone()
                : throw new JsonException("not an object");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            throw new LtiRefusal($"LearnDL could not reach {endpoint.Host} to register ({e.Message}). Start the registration again.", StatusCodes.Status502BadGateway);
        }
        catch (JsonException)
        {
            throw new LtiRefusal($"{endpoint.Host} answered the registration with something that is not JSON; LearnDL kept nothing. Start the registration again.", StatusCodes.Status502BadGateway);
        }
    }

    /// <summary>What the LMS said, for the page: its OAuth error_description or error, else its text, short.</summary>
    private static string Said(string body)
    {
        string? said = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
                said = Text(document.RootElement, "error_description") ?? Text(document.RootElement, "error") ?? Text(document.RootElement, "message");
        }
        catch (JsonException)
        {
            said = body;
        }
        said = said?.ReplaceLineEndings(" ").Trim();
        return said is { Length: > 0 } ? ": " + (said.Length > 300 ? said[..300] + "…" : said) : "";
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ValueKind switch
    {
        JsonValueKind.String when v.GetString() is { Length: > 0 } s => s,
        JsonValueKind.Number => v.GetRawText(), // some platforms number their ids
        _ => null,
    } : null;
}
