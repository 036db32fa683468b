
namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// The tool's LTI 1.3 endpoints: /lti/login (OIDC third-party initiated login), /lti/launch (the id_token's checks, then
/// the sign-in), /lti/jwks (the tool's public keys) and /lti/config (what an LMS administrator pastes). Other sites post to
/// the first two by design (<see cref="SameOriginRule.CrossSiteByDesign"/>): the signed token, the state and the nonce guard them.
/// /lti/register is LTI Dynamic Registration, opened by an LMS in its frame; the dashboard's single-use code guards it.
/// A refused launch answers 4xx with the reason in plain words, signs nobody in, creates no student, and is logged.
/// </summary>
public static class LtiEndpoints
{
    public static IEndpointRouteBuilder MapLti(this IEndpointRouteBuilder app)
    {
        var lti = app.MapGroup("/lti").AllowAnonymous().DisableAntiforgery();
        lti.MapMethods("/login", [HttpMethods.Get, HttpMethods.Post], LoginAsync);
        lti.MapPost("/launch", LaunchAsync);
        lti.MapGet("/jwks", (LtiToolKeys keys) => Results.Json(keys.Jwks()));
        lti.MapGet("/config", (HttpContext http) => Results.Json(LtiToolConfiguration.For(Origin(http.Request))));
        lti.MapGet("/register", RegisterAsync);
        return app;
    }

    /// <summary>The app's public origin (after forwarded headers).</summary>
    public static string Origin(HttpRequest request) => $"{request.Scheme}://{request.Host}";

    private static async Task<IResult> LoginAsync(HttpContext http, LtiPlatforms platforms, LtiLogin login, ILogger<LtiLogin> logger)
    {
        var request = http.Request;
        var p = request.HasFormContentType ? (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString())
            : request.Query.ToDictionary(q => q.Key, q => q.Value.ToString());
        string Get(string name) => p.GetValueOrDefault(name) ?? "";
        var (issuer, loginHint, target, clientId, deployment) = (Get("iss"), Get("login_hint"), Get("target_link_uri"), Get("client_id"), Get("lti_deployment_id"));
        IResult Refuse(string why) => Refused(http, logger, new LtiRefusal(why, StatusCodes.Status400BadRequest), "login");
        if (issuer.Length == 0 || loginHint.Length == 0 || target.Length == 0)
            return Refuse("The LMS started a launch without iss, login_hint or target_link_uri. Launch LearnDL again from the course; if it keeps failing, tell the LMS administrator.");
        if (platforms.Find(issuer, clientId) is not { } platform)
            return Refuse($"The LMS {issuer} is not registered in LearnDL{(clientId.Length > 0 ? $" with client id {clientId}" : "")}. Ask the LearnDL administrator to add it under LearnDL:Lti:Platforms, or register it by URL (the instructor's dashboard shows the address).");
        if (deployment.Length > 0 && !platform.DeploymentIds.Contains(deployment))
            return Refuse($"Deployment {deployment} of {platform.DisplayName} is not registered in LearnDL. Ask the LearnDL administrator to add it to DeploymentIds.");
        var origin = Origin(request);
        if (!(Uri.TryCreate(target, UriKind.Absolute, out var targetUri) && string.Equals(targetUri.GetLeftPart(UriPartial.Authority), origin, StringComparison.OrdinalIgnoreCase)))
            return Refuse($"The launch is meant for {target}, which is not this LearnDL server ({origin}). Check the tool's address in the LMS.");
        var state = login.Start(http, platform, target);
        var parameters = new Dictionary<string, string?>
        {
            ["scope"] = "openid", ["response_type"] = "id_token", ["response_mode"] = "form_post", ["prompt"] = "none",
            ["client_id"] = platform.ClientId, ["redirect_uri"] = origin + "/lti/launch", ["login_hint"] = loginHint,
            ["state"] = state.State, ["nonce"] = state.Nonce,
            ["lti_message_hint"] = p.TryGetValue("lti_message_hint", out var hint) ? hint : null,
        };
        return Results.Redirect(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(platform.AuthorizationEndpoint, parameters));
    }

    private static async Task<IResult> LaunchAsync(HttpContext http, LtiPlatforms platforms, LtiLogin login, LtiLaunchValidator validator,
        LtiSignIn signIn, LtiLaunches launches, ILessons lessons, ILogger<LtiLaunchValidator> logger)
    {
        try
        {
            if (!http.Request.HasFormContentType) throw new LtiRefusal("A launch is a form post with an id_token and a state.", StatusCodes.Status400BadRequest);
            var form = await http.Request.ReadFormAsync();
            if (form["error"].ToString() is { Length: > 0 } error)
                throw new LtiRefusal($"The LMS did not launch LearnDL: {error} {form["error_description"]}".TrimEnd(), StatusCodes.Status400BadRequest);
            var (idToken, state) = (form["id_token"].ToString(), form["state"].ToString());
            if (idToken.Length == 0) throw new LtiRefusal("The launch carries no id_token.", StatusCodes.Status400BadRequest);
            var started = login.Take(http, state) ?? throw new LtiRefusal(
                "This browser did not start this launch, or it did so more than ten minutes ago, or it keeps no cookies for LearnDL inside the course page. " +
                "Launch LearnDL again from the course; if this repeats, allow cookies for LearnDL or open it in a new window.", StatusCodes.Status400BadRequest);
            var platform = platforms.Find(started.Issuer, started.ClientId)
                ?? throw new LtiRefusal("The LMS this launch started from is no longer registered in LearnDL.", StatusCodes.Status400BadRequest);
            var launch = await validator.ValidateAsync(idToken, platform, started.Nonce, http.RequestAborted);
            await signIn.SignInAsync(http, launch);
            launches.Keep(launch);
            return new SeeOther(LtiTargets.PathFor(launch, lessons));
        }
        catch (LtiRefusal refusal)
        {
            return Refused(http, logger, refusal, "launch");
        }
    }

    /// <summary>The close message of LTI Dynamic Registration: the LMS closes its frame or popup and finishes on its side.</summary>
    private const string CloseScript = "(window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}, '*');";

    /// <summary>The one inline script LearnDL serves, allowed by its hash (the policy allows no other inline script).</summary>
    private static readonly string CloseScriptSource =
        $"'sha256-{Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(CloseScript)))}'";

    /// <summary>
    /// GET /lti/register?code=...&amp;openid_configuration=...&amp;registration_token=...: LTI Dynamic Registration. Only with the
    /// dashboard's code (403 otherwise); a registration that fails gives the code back and keeps nothing.
    /// </summary>
    private static async Task<IResult> RegisterAsync(HttpContext http, LtiRegistrationCode codes, LtiRegistration registration, ILogger<LtiRegistration> logger)
    {
        var query = http.Request.Query;
        var (code, configuration, token) = (query["code"].ToString(), query["openid_configuration"].ToString(), query["registration_token"].ToString());
        // The LMS shows this page in its frame (or a popup): its pages may frame the answer, whatever it says.
        AllowFraming(http, LtiOptions.IsSecureUrl(configuration) ? [OriginOf(configuration)] : []);
        if (!codes.TryTake(code))
            return RegistrationRefused(logger, new LtiRefusal(code.Length == 0
                ? "This address has no registration code. Copy the whole registration address from the LearnDL instructor's dashboard (it ends with code=...) into the LMS."
                : "This registration address was already used, was replaced by a newer one, or is more than 24 hours old. Ask the LearnDL instructor for a fresh one (the dashboard's \"New address\" button) and paste that into the LMS.",
                StatusCodes.Status403Forbidden));
        var registered = false;
        try
        {
            if (configuration.Length == 0)
                throw new LtiRefusal("The LMS opened this address without openid_configuration. Paste the address into the LMS's tool registration (Moodle: \"Tool URL\", Canvas: \"LTI Registration\") rather than opening it in a browser.", StatusCodes.Status400BadRequest);
            var done = await registration.RegisterAsync(configuration, token.Length > 0 ? token : null, Origin(http.Request), http.RequestAborted);
            registered = true;
            AllowFraming(http, [OriginOf(configuration), .. done.Platform.ResolvedFrameOrigins()], CloseScriptSource);
            return Results.Content(RegisteredPage(done), "text/html; charset=utf-8");
        }
        catch (LtiRefusal refusal)
        {
            return RegistrationRefused(logger, refusal);
        }
        finally
        {
            if (!registered) codes.GiveBack(code);
        }
    }

    private static string RegisteredPage(RegisteredPlatform done)
    {
        string E(string text) => System.Net.WebUtility.HtmlEncode(text);
        var p = done.Platform;
        var deployment = p.DeploymentIds.Count > 0 ? $"deployment id <code data-testid=\"lti-registered-deployment\">{E(p.DeploymentIds[0])}</code>"
            : "no deployment id yet";
        var note = p.DeploymentIds.Count > 0 ? "" : $"""
            <p>{E(done.Product)} named no deployment of LearnDL in its answer. LearnDL accepts launches only from the deployments it was given,
            so launches will be refused, each naming its deployment id: add that id under LearnDL:Lti:Platforms with this issuer and client id.</p>
            """;
        return $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>LearnDL registered</title></head>
            <body style="font-family: sans-serif">
            <h1>LearnDL is registered in {E(done.Product)}</h1>
            <p>{E(p.Issuer)} knows LearnDL as client id <code data-testid="lti-registered-client-id">{E(p.ClientId)}</code>, {deployment}.
            Launches from it work now.</p>
            {note}<p>You can close this window if the LMS does not close it.</p>
            <script>{CloseScript}</script>
            </body></html>
            """;
    }

    private static void AllowFraming(HttpContext http, IEnumerable<string?> origins, string? scriptSource = null)
    {
        var policy = Hosting.ContentSecurityPolicyFor([.. origins.OfType<string>().Distinct(StringComparer.Ordinal)]);
        if (scriptSource is not null) policy = policy.Replace("script-src 'self'", $"script-src 'self' {scriptSource}", StringComparison.Ordinal);
        http.Response.Headers.ContentSecurityPolicy = policy;
        http.Response.Headers.Remove("X-Frame-Options");
    }

    private static string? OriginOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u) ? $"{u.Scheme}://{u.Authority}" : null;

    private static IResult RegistrationRefused(ILogger logger, LtiRefusal refusal)
    {
        logger.LogWarning("LTI registration refused ({Status}): {Reason}", refusal.Status, refusal.Message);
        return Results.Text($"LearnDL was not registered in your LMS.\n\n{refusal.Message}\n", "text/plain; charset=utf-8", statusCode: refusal.Status);
    }

    private static IResult Refused(HttpContext http, ILogger logger, LtiRefusal refusal, string step)
    {
        logger.LogWarning("LTI {Step} refused ({Status}): {Reason}", step, refusal.Status, refusal.Message);
        return Results.Text($"LearnDL could not open from your course.\n\n{refusal.Message}\n", "text/plain; charset=utf-8", statusCode: refusal.Status);
    }

    /// <summary>303 See Other: the browser follows a form post's answer with a GET.</summary>
    private sealed class SeeOther(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = StatusCodes.Status303SeeOther;
            http.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
