using System.Net;
using System.Text.Json;
using LearnDL.Testing.Lti;

namespace LearnDL.Web.Tests.Lti;

/// <summary>/lti/login's redirect, /lti/jwks, /lti/config, and the pages' framing rule with a platform registered.</summary>
public sealed class LtiEndpointTests(LtiFixture fixture) : IClassFixture<LtiFixture>
{
    private readonly TestPlatform _platform = fixture.Platform;

    [Fact]
    public async Task Login_redirects_to_the_platforms_authorization_endpoint_with_the_OIDC_parameters_and_a_partitioned_state_cookie()
    {
        var browser = fixture.Browser();
        var p = _platform.LoginParameters("https://localhost", "user-7", "message-hint-7");
        // A platform may post the login (cross-site, by design) as well as link to it.
        var login = await browser.PostAsync("/lti/login", new FormUrlEncodedContent(p));
        Assert.Contains(login.StatusCode, new[] { HttpStatusCode.Redirect, HttpStatusCode.SeeOther });
        var location = login.Headers.Location!;
        Assert.Equal(_platform.AuthorizationEndpoint, location.GetLeftPart(UriPartial.Path));
        var q = TestPlatform.Parameters(location.Query);
        Assert.Equal(("id_token", "form_post", "openid", "none"), (q["response_type"], q["response_mode"], q["scope"], q["prompt"]));
        Assert.Equal((_platform.ClientId, "https://localhost/lti/launch", "user-7", "message-hint-7"), (q["client_id"], q["redirect_uri"], q["login_hint"], q["lti_message_hint"]));
        Assert.True(q["state"].Length >= 22 && q["nonce"].Length >= 22 && q["state"] != q["nonce"]);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("learndl.lti-state.", cookie);
        foreach (var attribute in new[] { "secure", "samesite=none", "partitioned", "httponly", "path=/lti" })
            Assert.Contains(attribute, cookie, StringComparison.OrdinalIgnoreCase);

        // A second login: a fresh state and nonce.
        var again = TestPlatform.Parameters((await browser.GetAsync("/lti/login?" + string.Join("&", p.Select(x => $"{x.Key}={Uri.EscapeDataString(x.Value)}")))).Headers.Location!.Query);
        Assert.NotEqual(q["state"], again["state"]);
        Assert.NotEqual(q["nonce"], again["nonce"]);
    }

    [Theory]
    [InlineData("iss", "https://unknown-lms.example.org", "not registered")]
    [InlineData("client_id", "another-client", "not registered")]
    [InlineData("lti_deployment_id", "another-deployment", "not registered")]
    [InlineData("target_link_uri", "https://evil.example.org/lti/launch", "not this LearnDL server")]
    [InlineData("login_hint", "", "without iss, login_hint or target_link_uri")]
    public async Task A_login_for_another_platform_or_tool_is_refused_and_sets_no_state(string parameter, string value, string reason)
    {
        var p = _platform.LoginParameters("https://localhost", "user-8", null);
        p[parameter] = value;
        var login = await fixture.Browser().GetAsync("/lti/login?" + string.Join("&", p.Select(x => $"{x.Key}={Uri.EscapeDataString(x.Value)}")));
        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);
        Assert.Contains(reason, await login.Content.ReadAsStringAsync());
        Assert.False(login.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Jwks_publishes_the_tools_public_key_and_config_names_the_endpoints()
    {
        var browser = fixture.Browser();
        var jwks = JsonDocument.Parse(await browser.GetStringAsync("/lti/jwks")).RootElement.GetProperty("keys");
        var key = Assert.Single(jwks.EnumerateArray());
        Assert.Equal(("RSA", "RS256", "sig"), (key.GetProperty("kty").GetString(), key.GetProperty("alg").GetString(), key.GetProperty("use").GetString()));
        Assert.False(key.TryGetProperty("d", out _)); // the private exponent never leaves
        var config = JsonDocument.Parse(await browser.GetStringAsync("/lti/config")).RootElement;
        Assert.Equal("https://localhost/lti/login", config.GetProperty("oidc_initiation_url").GetString());
        Assert.Equal("https://localhost/lti/launch", config.GetProperty("target_link_uri").GetString());
        Assert.Equal("https://localhost/lti/jwks", config.GetProperty("public_jwk_url").GetString());
        Assert.Contains("https://purl.imsglobal.org/spec/lti-ags/scope/score", config.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task Pages_may_be_framed_by_the_registered_platform_only()
    {
        var page = await fixture.Browser().GetAsync("/join");
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains($"frame-ancestors 'self' {_platform.BaseUrl}", csp);
        Assert.DoesNotContain("frame-ancestors *", csp);
        Assert.DoesNotContain("'none'", csp.Split(';').Single(d => d.Contains("frame-ancestors")));
        Assert.False(page.Headers.Contains("X-Frame-Options"));
    }
}
