namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// /lti/config: LearnDL as an LTI 1.3 tool, in the JSON an LMS administrator pastes or points to (Canvas's "Enter URL" /
/// "Paste JSON" developer key format): the login, launch and key addresses, the services' scopes, and where it is placed
/// (a course link, an assignment or module item picked by deep linking).
/// </summary>
public static class LtiToolConfiguration
{
    public static readonly string[] Scopes =
    [
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
        "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    ];

    /// <summary>Where LearnDL is placed in a course (Canvas's placement names), with the message each one sends.</summary>
    public static readonly (string Placement, string MessageType, string Text)[] Placements =
    [
        ("course_navigation", LtiClaims.ResourceLinkRequest, "LearnDL"),
        ("link_selection", LtiClaims.DeepLinkingRequest, "LearnDL lesson"),
        ("assignment_selection", LtiClaims.DeepLinkingRequest, "LearnDL lesson"),
    ];

    /// <summary>The launch claims LearnDL reads: who the person is and how to call them.</summary>
    public static readonly string[] Claims = ["iss", "sub", "name", "given_name", "family_name", "email"];

    public const string Description = "Deep learning lessons with check questions and training runs; scores go to the gradebook.";

    /// <summary>
    /// LearnDL's client registration for LTI Dynamic Registration (OpenID Connect Dynamic Client Registration with the
    /// LTI tool configuration claim): the same addresses, scopes and placements as /lti/config.
    /// </summary>
    public static Dictionary<string, object> Registration(string origin)
    {
        var (login, launch, jwks) = ($"{origin}/lti/login", $"{origin}/lti/launch", $"{origin}/lti/jwks");
        return new Dictionary<string, object>
        {
            ["application_type"] = "web",
            ["response_types"] = new[] { "id_token" },
            ["grant_types"] = new[] { "implicit", "client_credentials" },
            ["initiate_login_uri"] = login,
            ["redirect_uris"] = new[] { launch },
            ["client_name"] = "LearnDL",
            ["jwks_uri"] = jwks,
            ["token_endpoint_auth_method"] = "private_key_jwt",
            ["scope"] = string.Join(' ', Scopes),
            [LtiRegistration.ToolConfiguration] = new Dictionary<string, object>
            {
                ["domain"] = new Uri(origin).Authority,
                ["description"] = Description,
                ["target_link_uri"] = launch,
                ["claims"] = Claims,
                ["messages"] = Placements.GroupBy(p => p.MessageType).Select(m => new Dictionary<string, object>
                {
                    ["type"] = m.Key, ["target_link_uri"] = launch, ["label"] = m.First().Text, ["placements"] = m.Select(p => p.Placement).ToArray(),
                }).ToArray(),
            },
        };
    }

    public static object For(string origin)
    {
        var (login, launch, jwks) = ($"{origin}/lti/login", $"{origin}/lti/launch", $"{origin}/lti/jwks");
        var host = new Uri(origin).Host;
        return new
        {
            title = "LearnDL",
            description = Description,
            oidc_initiation_url = login,
            target_link_uri = launch,
            redirect_uris = new[] { launch },
            public_jwk_url = jwks,
            scopes = Scopes,
            extensions = new[]
            {
                new
                {
                    platform = "canvas.instructure.com",
                    domain = host,
                    privacy_level = "public",
                    settings = new
                    {
                        text = "LearnDL",
                        placements = Placements.Select(p => new { placement = p.Placement, message_type = p.MessageType, target_link_uri = launch, text = p.Text }).ToArray(),
                    },
                },
            },
            custom_fields = new Dictionary<string, string>(),
        };
    }
}
