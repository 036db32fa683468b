using LearnDL.Web.Features.Lessons;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// The tool's LTI 1.3 endpoints: /lti/login (OIDC third-party initiated login), /lti/launch (the id_token's checks, then
/// the sign-in), /lti/jwks (the tool's public keys) and /lti/config (what an LMS administrator pastes). Other sites post to
/// the first two by design (<see cref="SameOriginRule.CrossSiteByDesign"/>): the signed token, the state and the nonce guard them.
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
        return app;
    }

    /// <summary>The app's public origin (after forwarded headers).</summary>
    public static string Origin(HttpRequest request) => $"{request.Scheme}://{request.Host}";

    private static async Task<IResult> LoginAsync(HttpContext http, IOptions<LearnDLOptions> options, LtiLogin login, ILogger<LtiLogin> logger)
    {
        var request = http.Request;
        var p = request.HasFormContentType ? (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString())
            : request.Query.ToDictionary(q => q.Key, q => q.Value.ToString());
        string Get(string name) => p.GetValueOrDefault(name) ?? "";
        var (issuer, loginHint, target, clientId, deployment) = (Get("iss"), Get("login_hint"), Get("target_link_uri"), Get("client_id"), Get("lti_deployment_id"));
        IResult Refuse(string why) => Refused(http, logger, new LtiRefusal(why, StatusCodes.Status400BadRequest), "login");
        if (issuer.Length == 0 || loginHint.Length == 0 || target.Length == 0)
            return Refuse("The LMS started a launch without iss, login_hint or target_link_uri. Launch LearnDL again from the course; if it keeps failing, tell the LMS administrator.");
        if (options.Value.Lti.Find(issuer, clientId) is not { } platform)
            return Refuse($"The LMS {issuer} is not registered in LearnDL{(clientId.Length > 0 ? $" with client id {clientId}" : "")}. Ask the LearnDL administrator to add it under LearnDL:Lti:Platforms.");
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

    private static async Task<IResult> LaunchAsync(HttpContext http, IOptions<LearnDLOptions> options, LtiLogin login, LtiLaunchValidator validator,
        LtiSignIn signIn, LtiLaunches launches, LessonCatalog lessons, ILogger<LtiLaunchValidator> logger)
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
            var platform = options.Value.Lti.Find(started.Issuer, started.ClientId)
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
