using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LearnDL.Web.Identity.Lti;

/// <summary>Names of LTI Assignment and Grade Services 2.0 (AGS): the launch claim, the scopes and the media types.</summary>
public static class Ags
{
    public const string EndpointClaim = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
    public const string ScoreScope = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
    public const string LineItemScope = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
    public const string LineItemReadScope = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
    public const string ResultReadScope = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
    public const string ScoreMediaType = "application/vnd.ims.lis.v1.score+json";
    public const string LineItemMediaType = "application/vnd.ims.lis.v2.lineitem+json";
    public const string LineItemContainerMediaType = "application/vnd.ims.lis.v2.lineitemcontainer+json";
    /// <summary>The tag LearnDL gives the line items it makes, so that an instructor tells them apart.</summary>
    public const string Tag = "learndl-lesson";
}

/// <summary>A student's score in one lesson, as the gradebook receives it (AGS's score fields).</summary>
public sealed record LessonScore(int Given, int Maximum, bool Completed)
{
    /// <summary>Completed once every check question was answered right; until then the student is still at it.</summary>
    public string ActivityProgress => Completed ? "Completed" : "InProgress";

    /// <summary>Final when completed; pending otherwise (the score may still rise).</summary>
    public string GradingProgress => Completed ? "FullyGraded" : "Pending";
}

/// <summary>The line item a lesson link's scores go to: known from the launch, or found (or made once) among the context's line items.</summary>
public sealed record LineItemQuery(string LineItemsUrl, string ResourceLinkId, string ResourceId, string Label, int ScoreMaximum);

/// <summary>
/// Calls an LMS's gradebook (AGS 2.0): finds a link's line item by its resource link and resource id (creating it only
/// when there is none, so a retry or a second student never makes a second column), and posts scores to it.
/// </summary>
public sealed class GradebookClient(IHttpClientFactory http)
{
    /// <summary>The line item of <paramref name="query"/>'s link: the first the platform lists for it, or a new one.</summary>
    public async Task<string> FindOrCreateLineItemAsync(LineItemQuery query, string token, string platformHost, CancellationToken cancellationToken = default)
    {
        var list = WithQuery(query.LineItemsUrl, ("resource_link_id", query.ResourceLinkId), ("resource_id", query.ResourceId));
        using (var get = new HttpRequestMessage(HttpMethod.Get, list))
        {
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            get.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(Ags.LineItemContainerMediaType));
            using var response = await SendAsync(get, platformHost, "list the gradebook's columns", cancellationToken);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            // Platforms that ignore the filters list every column: match them here too.
            var existing = json.RootElement.ValueKind == JsonValueKind.Array
                ? json.RootElement.EnumerateArray().FirstOrDefault(i =>
                    Text(i, "resourceLinkId") is var link && (link is null || link == query.ResourceLinkId)
                    && Text(i, "resourceId") == query.ResourceId && Text(i, "id") is not null)
                : default;
            if (existing.ValueKind == JsonValueKind.Object) return Text(existing, "id")!;
        }
        var item = new JsonObject
        {
            ["scoreMaximum"] = query.ScoreMaximum,
            ["label"] = query.Label,
            ["resourceId"] = query.ResourceId,
            ["resourceLinkId"] = query.ResourceLinkId,
            ["tag"] = Ags.Tag,
        };
        using var post = new HttpRequestMessage(HttpMethod.Post, query.LineItemsUrl)
        {
            Content = new StringContent(item.ToJsonString(), Encoding.UTF8, Ags.LineItemMediaType),
        };
        post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        post.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(Ags.LineItemMediaType));
        using var created = await SendAsync(post, platformHost, "add the lesson's column to the gradebook", cancellationToken);
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync(cancellationToken));
        return Text(body.RootElement, "id") ?? throw new PlatformServiceException($"The gradebook of {platformHost} made a column but did not say its address.");
    }

    /// <summary>Posts one score: exactly the fields the issue names, to <c>{lineitem}/scores</c> (before any query the line item's URL has).</summary>
    public async Task PostScoreAsync(string lineItemUrl, string userId, LessonScore score, DateTimeOffset timestamp, string token, string platformHost,
        CancellationToken cancellationToken = default)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, ScoresUrl(lineItemUrl))
        {
            Content = new StringContent(ScoreBody(userId, score, timestamp), Encoding.UTF8, Ags.ScoreMediaType),
        };
        post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var _ = await SendAsync(post, platformHost, "post the score", cancellationToken);
    }

    /// <summary>The score as JSON: scoreGiven, scoreMaximum, activityProgress, gradingProgress, userId, timestamp (ISO 8601 with milliseconds).</summary>
    public static string ScoreBody(string userId, LessonScore score, DateTimeOffset timestamp) => new JsonObject
    {
        ["scoreGiven"] = score.Given,
        ["scoreMaximum"] = score.Maximum,
        ["activityProgress"] = score.ActivityProgress,
        ["gradingProgress"] = score.GradingProgress,
        ["userId"] = userId,
        ["timestamp"] = timestamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
    }.ToJsonString();

    /// <summary>Moodle's line item URLs carry a query (?type_id=4): /scores goes into the path, before it.</summary>
    public static string ScoresUrl(string lineItemUrl)
    {
        var builder = new UriBuilder(lineItemUrl);
        builder.Path = builder.Path.TrimEnd('/') + "/scores";
        return builder.Uri.AbsoluteUri;
    }

    private static string WithQuery(string url, params (string Key, string Value)[] parameters)
    {
        var builder = new UriBuilder(url);
        var extra = string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        builder.Query = string.IsNullOrEmpty(builder.Query) || builder.Query == "?" ? extra : builder.Query.TrimStart('?') + "&" + extra;
        return builder.Uri.AbsoluteUri;
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string platformHost, string doing, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try { response = await http.CreateClient(PlatformTokens.Client).SendAsync(request, cancellationToken); }
        catch (HttpRequestException e) { throw new PlatformServiceException($"LearnDL could not reach {platformHost} to {doing}: {e.Message}", inner: e); }
        if (response.IsSuccessStatusCode) return response;
        var status = response.StatusCode;
        var body = PlatformTokens.Short(await response.Content.ReadAsStringAsync(cancellationToken));
        response.Dispose();
        throw status switch
        {
            HttpStatusCode.Unauthorized => new UnauthorizedPlatformException($"{platformHost} did not accept LearnDL's token to {doing} (401)."),
            HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType =>
                new PlatformServiceException($"{platformHost} refused to {doing} ({(int)status}: {body}). Check that LearnDL may use the grade service on this course.", worthRetrying: false),
            _ => new PlatformServiceException($"{platformHost} could not {doing} just now ({(int)status}); LearnDL tries again."),
        };
    }
}

/// <summary>The platform refused the token (it may have expired early or been revoked): a new token is worth one more try.</summary>
public sealed class UnauthorizedPlatformException(string message) : Exception(message);
