using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LearnDL.Web.Identity.Lti;

/// <summary>Names of LTI Names and Role Provisioning Services 2.0 (NRPS).</summary>
public static class Nrps
{
    public const string Claim = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
    public const string Scope = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
    public const string MediaType = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
}

/// <summary>One member of the course as the LMS lists them: its user id (the launch's <c>sub</c>), name, email, roles, status.</summary>
public sealed record RosterMember(string UserId, string Name, string? Email, IReadOnlyList<string> Roles, string Status)
{
    /// <summary>A learner of the course (the LIS Learner role, full or short), not a teacher.</summary>
    public bool IsLearner => Roles.Any(r => r.EndsWith("#Learner", StringComparison.Ordinal) || r == "Learner")
        && !Roles.Any(r => r.EndsWith("#Instructor", StringComparison.Ordinal) || r == "Instructor");

    public bool IsActive => !Status.Equals("Inactive", StringComparison.OrdinalIgnoreCase) && !Status.Equals("Deleted", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Reads a course's members from the LMS (NRPS 2.0), following the <c>Link: rel="next"</c> pages.</summary>
public sealed partial class RosterClient(IHttpClientFactory http)
{
    /// <summary>A class has tens to hundreds of members; a platform that pages forever is stopped here.</summary>
    private const int MaxPages = 100;

    public async Task<IReadOnlyList<RosterMember>> FetchAsync(string membershipsUrl, string token, string platformHost, CancellationToken cancellationToken = default)
    {
        var members = new List<RosterMember>();
        string? next = membershipsUrl;
        for (var page = 0; next is not null && page < MaxPages; page++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, next);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(Nrps.MediaType));
            HttpResponseMessage response;
            try { response = await http.CreateClient(PlatformTokens.Client).SendAsync(request, cancellationToken); }
            catch (HttpRequestException e) { throw new PlatformServiceException($"LearnDL could not reach {platformHost} to read the course's members: {e.Message}", inner: e); }
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                    throw new UnauthorizedPlatformException($"{platformHost} did not accept LearnDL's token to read the course's members (401).");
                if (!response.IsSuccessStatusCode)
                    throw new PlatformServiceException($"{platformHost} did not give the course's members ({(int)response.StatusCode}). Check that LearnDL may use Names and Role Provisioning on this course.");
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                if (json.RootElement.TryGetProperty("members", out var list) && list.ValueKind == JsonValueKind.Array)
                    members.AddRange(list.EnumerateArray().Select(Member).OfType<RosterMember>());
                next = response.Headers.TryGetValues("Link", out var links) ? Next(string.Join(',', links), next) : null;
            }
        }
        return members;
    }

    private static RosterMember? Member(JsonElement m)
    {
        if (Text(m, "user_id") is not { Length: > 0 } id) return null;
        var name = Text(m, "name") is { Length: > 0 } n ? n : string.Join(' ', new[] { Text(m, "given_name"), Text(m, "family_name") }.Where(p => !string.IsNullOrWhiteSpace(p)));
        var roles = m.TryGetProperty("roles", out var r) && r.ValueKind == JsonValueKind.Array
            ? r.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList() : [];
        return new RosterMember(id, name, Text(m, "email"), roles, Text(m, "status") ?? "Active");
    }

    /// <summary>The next page's address from a Link header (relative addresses resolved against the page read).</summary>
    internal static string? Next(string link, string current)
    {
        foreach (Match match in LinkPart().Matches(link))
            if (match.Groups["rel"].Value.Split(' ').Contains("next", StringComparer.OrdinalIgnoreCase)
                && Uri.TryCreate(new Uri(current), match.Groups["url"].Value, out var url))
                return url.AbsoluteUri;
        return null;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    [GeneratedRegex("""<(?<url>[^>]*)>\s*;[^,]*?rel\s*=\s*"?(?<rel>[^",;]+)"?""")]
    private static partial Regex LinkPart();
}
