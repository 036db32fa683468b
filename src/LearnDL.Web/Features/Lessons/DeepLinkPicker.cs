using System.Net;
using System.Text;
using LearnDL.Web.Identity.Lti;

namespace LearnDL.Web.Features.Lessons;

/// <summary>
/// The page an instructor sees when adding LearnDL to a course from the LMS (an <c>LtiDeepLinkingRequest</c>): every
/// lesson, and every Try-it of each, with an Add button. Each button posts its own signed <c>LtiDeepLinkingResponse</c>
/// straight back to the LMS, so the page needs no script and no cookie (it works in the LMS's iframe with third-party
/// cookies blocked); its address holds the launch's unguessable id instead (<see cref="LtiTargets.PathFor"/>), kept an hour.
/// </summary>
public static class DeepLinkPicker
{
    public static IEndpointRouteBuilder MapDeepLinkPicker(this IEndpointRouteBuilder app)
    {
        app.MapGet(LtiTargets.DeepLinkingPath, (string? launch, HttpContext context, LtiLaunches launches, LessonCatalog catalog, IToolSigningCredentials signing, TimeProvider time) =>
        {
            if (launches.Find(launch) is not { } found || DeepLinkRequest.Of(found) is not { } request)
                return Results.Content(Page("This choice has expired",
                    "<p>LearnDL keeps the LMS's request for an hour. Close this window and choose <em>LearnDL</em> in the LMS again.</p>"),
                    "text/html; charset=utf-8", Encoding.UTF8, StatusCodes.Status404NotFound);
            if (!request.AcceptsResourceLinks)
                return Results.Content(Page("The LMS asked for something LearnDL does not make",
                    $"<p>This place in the course accepts {Html(string.Join(", ", request.Settings.AcceptTypes))}; LearnDL adds LTI links to lessons. Add LearnDL as an external tool or assignment instead.</p>"),
                    "text/html; charset=utf-8", Encoding.UTF8, StatusCodes.Status400BadRequest);
            var origin = $"{context.Request.Scheme}://{context.Request.Host}";
            var credentials = signing.Current;
            var now = time.GetUtcNow();
            var body = new StringBuilder("<p>Choose what the course links to. Each link opens LearnDL on that lesson, signed in as whoever follows it; ")
                .Append("a lesson's link also adds a gradebook column that fills in as students answer its check questions.</p><ul class=\"picker\">");
            foreach (var (item, testId) in Items(catalog, origin))
            {
                var jwt = DeepLinkingResponse.Create(request, [item], credentials, now, $"LearnDL: {item.Title} added.");
                body.Append("<li><form method=\"post\" action=\"").Append(Html(request.Settings.ReturnUrl)).Append("\" data-testid=\"").Append(Html(testId)).Append("\">")
                    .Append("<input type=\"hidden\" name=\"JWT\" value=\"").Append(jwt).Append("\">")
                    .Append("<strong>").Append(Html(item.Title)).Append("</strong> ")
                    .Append(item.ScoreMaximum is { } max ? $"<span>(graded: {max} check question{(max == 1 ? "" : "s")})</span> " : "")
                    .Append("<br><span>").Append(Html(item.Text)).Append("</span> ")
                    .Append("<button type=\"submit\" aria-label=\"Add ").Append(Html(item.Title)).Append("\">Add</button></form></li>");
            }
            body.Append("</ul>");
            // The buttons post to the LMS: the page's policy lets forms go there (and only there besides this site).
            var returnOrigin = new Uri(request.Settings.ReturnUrl).GetLeftPart(UriPartial.Authority);
            var policy = context.Response.Headers.ContentSecurityPolicy.ToString();
            if (policy.Contains("form-action 'self'", StringComparison.Ordinal))
                context.Response.Headers.ContentSecurityPolicy = policy.Replace("form-action 'self'", $"form-action 'self' {returnOrigin}", StringComparison.Ordinal);
            return Results.Content(Page("Add LearnDL to the course", body.ToString()), "text/html; charset=utf-8", Encoding.UTF8);
        }).AllowAnonymous();
        return app;
    }

    /// <summary>Every lesson (graded by its check questions), then each of its Try-its, in course order.</summary>
    internal static IEnumerable<(DeepLinkItem Item, string TestId)> Items(LessonCatalog catalog, string origin)
    {
        foreach (var lesson in catalog.All)
        {
            var url = $"{origin}/lessons/{Uri.EscapeDataString(lesson.Slug)}";
            var questions = lesson.Questions.Count();
            yield return (new DeepLinkItem(lesson.Title, lesson.Summary, url,
                new Dictionary<string, string> { [LtiTargets.LessonParameter] = lesson.Slug }, lesson.Slug, questions > 0 ? questions : null), $"deep-link-{lesson.Slug}");
            foreach (var preset in lesson.Blocks.OfType<TryItBlock>().Select(b => b.Preset))
                yield return (new DeepLinkItem($"{lesson.Title}: try it, {preset.Label}", $"A run to launch in the lesson: {preset.Images} images, {preset.Epochs} epoch(s), device {preset.Device}.", url,
                    new Dictionary<string, string> { [LtiTargets.LessonParameter] = lesson.Slug, [LtiTargets.PresetParameter] = preset.Name },
                    $"{lesson.Slug}/{preset.Name}", null), $"deep-link-{lesson.Slug}-{preset.Name}");
        }
    }

    private static string Html(string text) => WebUtility.HtmlEncode(text);

    private static string Page(string title, string body) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{Html(title)} · LearnDL</title><link rel="stylesheet" href="/app.css"></head>
        <body data-testid="deep-link-picker"><main style="max-width: 48rem; margin: 1rem auto; font-family: sans-serif"><h1>{Html(title)}</h1>{body}</main></body></html>
        """;
}
