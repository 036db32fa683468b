using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LearnDL.Testing.Lti;

/// <summary>A member of the test course, as NRPS lists them.</summary>
public sealed record TestMember(string UserId, string Name, string? Email, params string[] Roles)
{
    public const string Learner = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
    public const string Instructor = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
}

/// <summary>A gradebook column of the test course.</summary>
public sealed record TestLineItem(string Id, string Label, double ScoreMaximum, string? ResourceId, string? ResourceLinkId, string? Tag);

/// <summary>A score the tool posted: to which column, with which media type, and the JSON as sent.</summary>
public sealed record RecordedScore(string LineItemId, string ContentType, JsonElement Body)
{
    public string UserId => Body.GetProperty("userId").GetString()!;
    public double ScoreGiven => Body.GetProperty("scoreGiven").GetDouble();
    public double ScoreMaximum => Body.GetProperty("scoreMaximum").GetDouble();
    public string ActivityProgress => Body.GetProperty("activityProgress").GetString()!;
    public string GradingProgress => Body.GetProperty("gradingProgress").GetString()!;
    public IReadOnlyList<string> Fields => [.. Body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
}

/// <summary>
/// The test platform's LTI Advantage services: a token endpoint that accepts only a client assertion signed with a key
/// the tool publishes at its /lti/jwks (iss = sub = the client id, aud = the token endpoint, each jti once), a course
/// roster (NRPS, paged), line items and the scores posted to them (AGS), and the deep linking return address (which
/// checks the tool's signed response).
/// </summary>
public sealed partial class TestPlatform
{
    public const string NrpsScope = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
    public const string ScoreScope = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
    public const string LineItemScope = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
    public const string LineItemReadScope = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
    public const string ResultReadScope = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
    public static readonly string[] GrantedScopes = [NrpsScope, ScoreScope, LineItemScope, LineItemReadScope, ResultReadScope];

    private static readonly JsonWebTokenHandler Jwts = new();
    private readonly ConcurrentDictionary<string, (string[] Scopes, DateTimeOffset Until)> _tokens = new();
    private readonly ConcurrentDictionary<string, bool> _assertionIds = new();
    private readonly ConcurrentQueue<int> _scoreFailures = new();
    private int _lineItemNumber;

    /// <summary>The tool's published keys (its /lti/jwks), as JSON: the token endpoint and the deep linking return check signatures with them.</summary>
    public Func<Task<string>>? ToolJwks { get; set; }

    /// <summary>The course's members, in the order NRPS lists them.</summary>
    public List<TestMember> Members { get; } = [];

    /// <summary>How long the tokens it grants last (expires_in).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Members per NRPS page: more than this and the list goes on behind a <c>Link: rel="next"</c>.</summary>
    public int MembersPerPage { get; set; } = 50;

    public ConcurrentDictionary<string, TestLineItem> LineItems { get; } = new();
    public ConcurrentQueue<RecordedScore> Scores { get; } = new();
    /// <summary>Each token request's outcome: granted (with the scopes) or why it was refused.</summary>
    public ConcurrentQueue<string> TokenRequests { get; } = new();
    public ConcurrentQueue<JsonElement> DeepLinkResponses { get; } = new();
    public ConcurrentQueue<string> NrpsRequests { get; } = new();

    public string MembershipsUrl => $"{BaseUrl}/contexts/{ContextId}/memberships";
    public string LineItemsUrl => $"{BaseUrl}/contexts/{ContextId}/lineitems";
    /// <summary>The column the platform made with the link of <see cref="LaunchClaims"/> (its AGS <c>lineitem</c>).</summary>
    public string LinkLineItemUrl => $"{LineItemsUrl}/1";
    public string DeepLinkReturnUrl => $"{BaseUrl}/deep-link-return";

    /// <summary>The next <paramref name="count"/> score posts are answered <paramref name="status"/> (a gradebook down).</summary>
    public void FailScores(int count, int status = StatusCodes.Status503ServiceUnavailable)
    {
        for (var i = 0; i < count; i++) _scoreFailures.Enqueue(status);
    }

    /// <summary>A column made on the platform's side (as Canvas and Moodle do for a deep link with a line item); its URL.</summary>
    public string AddLineItem(string label, double scoreMaximum, string? resourceId, string? resourceLinkId, string? tag = null)
    {
        var id = $"{LineItemsUrl}/{Interlocked.Increment(ref _lineItemNumber)}";
        LineItems[id] = new TestLineItem(id, label, scoreMaximum, resourceId, resourceLinkId, tag);
        return id;
    }

    /// <summary>Makes a launch's link one that LearnDL's picker made: its custom parameters name the lesson (and a Try-it).</summary>
    public static void LinkTo(Dictionary<string, object?> claims, string lesson, string? preset = null)
    {
        var custom = new Dictionary<string, object> { ["learndl_lesson"] = lesson };
        if (preset is not null) custom["learndl_preset"] = preset;
        claims["https://purl.imsglobal.org/spec/lti/claim/custom"] = custom;
    }

    /// <summary>Makes a launch's link one without a column of its own (the course's line items and the scopes stay): LearnDL must find or make it.</summary>
    public void WithoutLineItem(Dictionary<string, object?> claims) =>
        claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = new Dictionary<string, object>
        {
            ["scope"] = new List<string> { LineItemScope, ResultReadScope, ScoreScope },
            ["lineitems"] = LineItemsUrl,
        };

    /// <summary>Makes a launch a deep linking request (no resource link), answered at <see cref="DeepLinkReturnUrl"/>.</summary>
    public void DeepLinkingRequest(Dictionary<string, object?> claims, string data = "dl-data-42")
    {
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiDeepLinkingRequest";
        claims.Remove("https://purl.imsglobal.org/spec/lti/claim/resource_link");
        foreach (var (key, value) in DeepLinkingClaim(data)) claims[key] = value;
    }

    /// <summary>The settings claim of a deep linking request, answered at <see cref="DeepLinkReturnUrl"/>.</summary>
    public Dictionary<string, object> DeepLinkingClaim(string data = "dl-data-42") => new()
    {
        ["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = Json(new JsonObject
        {
            ["deep_link_return_url"] = DeepLinkReturnUrl,
            ["accept_types"] = new JsonArray("ltiResourceLink"),
            ["accept_presentation_document_targets"] = new JsonArray("iframe", "window"),
            ["accept_multiple"] = false,
            ["accept_lineitem"] = true,
            ["data"] = data,
        }),
    };

    private static JsonElement Json(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement.Clone();

    /// <summary>The services' endpoints, on the platform's own loopback server; the column of <see cref="LaunchClaims"/>'s link exists from the start.</summary>
    partial void MapServices(WebApplication app)
    {
        AddLineItem("LearnDL: Lesson 1", 100, null, ResourceLinkId);
        app.MapPost("/token", (Delegate)TokenAsync);
        app.MapGet("/contexts/{context}/memberships", (Delegate)Memberships);
        app.MapGet("/contexts/{context}/lineitems", (Delegate)ListLineItems);
        app.MapPost("/contexts/{context}/lineitems", (Delegate)CreateLineItemAsync);
        app.MapPost("/contexts/{context}/lineitems/{n}/scores", (Delegate)PostScoreAsync);
        app.MapPost("/deep-link-return", (Delegate)DeepLinkReturnAsync);
    }

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        string Refuse(string why) { TokenRequests.Enqueue("refused: " + why); return why; }
        if (form["grant_type"] != "client_credentials") return Results.BadRequest(new { error = "unsupported_grant_type", error_description = Refuse("grant_type") });
        if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            return Results.BadRequest(new { error = "invalid_client", error_description = Refuse("client_assertion_type") });
        var validation = await ValidateToolTokenAsync(form["client_assertion"].ToString(), issuer: ClientId, audience: TokenEndpoint);
        if (validation.Problem is { } problem) return Results.Json(new { error = "invalid_client", error_description = Refuse(problem) }, statusCode: 401);
        var claims = validation.Token!;
        if (!claims.TryGetPayloadValue<string>("sub", out var sub) || sub != ClientId) return Results.Json(new { error = "invalid_client", error_description = Refuse("sub is not the client id") }, statusCode: 401);
        if (!claims.TryGetPayloadValue<string>("jti", out var jti) || !_assertionIds.TryAdd(jti, true))
            return Results.Json(new { error = "invalid_client", error_description = Refuse("jti missing or used before") }, statusCode: 401);
        var asked = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var granted = asked.Where(GrantedScopes.Contains).ToArray();
        if (granted.Length == 0) return Results.BadRequest(new { error = "invalid_scope", error_description = Refuse("no scope it may have") });
        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
        _tokens[token] = (granted, DateTimeOffset.UtcNow + TokenLifetime);
        TokenRequests.Enqueue("granted: " + string.Join(' ', granted));
        return Results.Json(new { access_token = token, token_type = "Bearer", expires_in = (int)TokenLifetime.TotalSeconds, scope = string.Join(' ', granted) });
    }

    /// <summary>A JWT the tool signed, checked against the tool's published keys: signature, iss, aud, lifetime.</summary>
    private async Task<(JsonWebToken? Token, string? Problem)> ValidateToolTokenAsync(string jwt, string issuer, string audience)
    {
        if (ToolJwks is null) return (null, "the platform does not know the tool's JWKS URL");
        var keys = new JsonWebKeySet(await ToolJwks()).GetSigningKeys();
        var result = await Jwts.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = audience,
            IssuerSigningKeys = keys,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        });
        return result.IsValid ? ((JsonWebToken)result.SecurityToken, null) : (null, result.Exception?.Message ?? "invalid");
    }

    /// <summary>The bearer token's scopes, or null when it is missing, unknown or expired.</summary>
    private string[]? Scopes(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) && _tokens.TryGetValue(header["Bearer ".Length..], out var t) && t.Until > DateTimeOffset.UtcNow
            ? t.Scopes : null;
    }

    private IResult Memberships(HttpContext context)
    {
        NrpsRequests.Enqueue(context.Request.Headers.Accept.ToString());
        if (Scopes(context) is not { } scopes) return Results.Unauthorized();
        if (!scopes.Contains(NrpsScope)) return Results.StatusCode(403);
        var page = int.TryParse(context.Request.Query["page"], out var p) ? p : 1;
        var members = Members.Skip((page - 1) * MembersPerPage).Take(MembersPerPage).Select(m =>
        {
            var json = new JsonObject { ["status"] = "Active", ["name"] = m.Name, ["user_id"] = m.UserId, ["roles"] = new JsonArray([.. m.Roles.Select(r => (JsonNode)r)]) };
            if (m.Email is not null) json["email"] = m.Email;
            return (JsonNode)json;
        });
        if (page * MembersPerPage < Members.Count) context.Response.Headers.Link = $"<{MembershipsUrl}?page={page + 1}>; rel=\"next\"";
        var body = new JsonObject { ["id"] = MembershipsUrl, ["context"] = new JsonObject { ["id"] = ContextId, ["title"] = "Deep learning 101" }, ["members"] = new JsonArray([.. members]) };
        return Results.Text(body.ToJsonString(), "application/vnd.ims.lti-nrps.v2.membershipcontainer+json");
    }

    private IResult ListLineItems(HttpContext context)
    {
        if (Scopes(context) is not { } scopes) return Results.Unauthorized();
        if (!scopes.Contains(LineItemScope) && !scopes.Contains(LineItemReadScope)) return Results.StatusCode(403);
        string? link = context.Request.Query["resource_link_id"], resource = context.Request.Query["resource_id"];
        var items = LineItems.Values.Where(i => (link is null || i.ResourceLinkId == link) && (resource is null || i.ResourceId == resource)).OrderBy(i => i.Id);
        return Results.Text(new JsonArray([.. items.Select(i => (JsonNode)LineItemJson(i))]).ToJsonString(), "application/vnd.ims.lis.v2.lineitemcontainer+json");
    }

    private async Task<IResult> CreateLineItemAsync(HttpContext context)
    {
        if (Scopes(context) is not { } scopes) return Results.Unauthorized();
        if (!scopes.Contains(LineItemScope)) return Results.StatusCode(403);
        if (context.Request.ContentType?.StartsWith("application/vnd.ims.lis.v2.lineitem+json", StringComparison.Ordinal) != true) return Results.StatusCode(415);
        using var json = await JsonDocument.ParseAsync(context.Request.Body);
        var r = json.RootElement;
        string? Text(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (!r.TryGetProperty("scoreMaximum", out var max) || max.GetDouble() <= 0 || Text("label") is null) return Results.BadRequest();
        var id = AddLineItem(Text("label")!, max.GetDouble(), Text("resourceId"), Text("resourceLinkId"), Text("tag"));
        return Results.Text(LineItemJson(LineItems[id]).ToJsonString(), "application/vnd.ims.lis.v2.lineitem+json", statusCode: 201);
    }

    private async Task<IResult> PostScoreAsync(HttpContext context, string n)
    {
        if (Scopes(context) is not { } scopes) return Results.Unauthorized();
        if (!scopes.Contains(ScoreScope)) return Results.StatusCode(403);
        var id = $"{LineItemsUrl}/{n}";
        if (!LineItems.ContainsKey(id)) return Results.NotFound();
        var type = context.Request.ContentType ?? "";
        if (!type.StartsWith("application/vnd.ims.lis.v1.score+json", StringComparison.Ordinal)) return Results.StatusCode(415);
        if (_scoreFailures.TryDequeue(out var status)) return Results.StatusCode(status);
        using var json = await JsonDocument.ParseAsync(context.Request.Body);
        Scores.Enqueue(new RecordedScore(id, type, json.RootElement.Clone()));
        return Results.NoContent();
    }

    private async Task<IResult> DeepLinkReturnAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var validation = await ValidateToolTokenAsync(form["JWT"].ToString(), issuer: ClientId, audience: Issuer);
        if (validation.Problem is { } problem) return Results.BadRequest(problem);
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(validation.Token!.EncodedPayload));
        DeepLinkResponses.Enqueue(payload.RootElement.Clone());
        return Results.Text("<!DOCTYPE html><html><body><p data-testid=\"platform-added\">Added to the course.</p></body></html>", "text/html");
    }

    private static JsonObject LineItemJson(TestLineItem i)
    {
        var json = new JsonObject { ["id"] = i.Id, ["label"] = i.Label, ["scoreMaximum"] = i.ScoreMaximum };
        if (i.ResourceId is not null) json["resourceId"] = i.ResourceId;
        if (i.ResourceLinkId is not null) json["resourceLinkId"] = i.ResourceLinkId;
        if (i.Tag is not null) json["tag"] = i.Tag;
        return json;
    }
}
