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

    public static object For(string origin)
    {
        var (login, launch, jwks) = ($"{origin}/lti/login", $"{origin}/lti/launch", $"{origin}/lti/jwks");
        var host = new Uri(origin).Host;
        return new
        {
            title = "LearnDL",
            description = "Deep learning lessons with check questions and training runs; scores go to the gradebook.",
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
                        placements = new object[]
                        {
                            new { placement = "course_navigation", message_type = LtiClaims.ResourceLinkRequest, target_link_uri = launch, text = "LearnDL" },
                            new { placement = "link_selection", message_type = LtiClaims.DeepLinkingRequest, target_link_uri = launch, text = "LearnDL lesson" },
                            new { placement = "assignment_selection", message_type = LtiClaims.DeepLinkingRequest, target_link_uri = launch, text = "LearnDL lesson" },
                        },
                    },
                },
            },
            custom_fields = new Dictionary<string, string>(),
        };
    }
}
