using System.Net;
using LearnDL.Testing.Lti;
using LearnDL.Web.Identity.Lti;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Tests.Lti;

/// <summary>
/// Launches from the test platform, as the LTI 1.3 certification guide tables them: its known bad payloads are each refused
/// (4xx, a reason, nobody signed in, no student made); its valid instructor and student launches each sign in the right person.
/// </summary>
public sealed class LtiLaunchTests(LtiFixture fixture) : IClassFixture<LtiFixture>
{
    private readonly TestPlatform _platform = fixture.Platform;

    private static void Remove(Dictionary<string, object?> claims, string name) => Assert.True(claims.Remove(name), name);

    [Theory]
    [InlineData("no kid")]
    [InlineData("wrong kid")]
    [InlineData("wrong LTI version")]
    [InlineData("no LTI version")]
    [InlineData("not a JWT")]
    [InlineData("no LTI claims")]
    [InlineData("timestamps in the past")]
    [InlineData("issued in the future")]
    [InlineData("no message_type")]
    [InlineData("no roles claim")]
    [InlineData("no deployment_id")]
    [InlineData("unregistered deployment_id")]
    [InlineData("no resource_link id")]
    [InlineData("no sub")]
    [InlineData("another issuer")]
    [InlineData("another audience")]
    [InlineData("several audiences, azp another")]
    [InlineData("another nonce")]
    [InlineData("signed by another key under the platform's kid")]
    public async Task A_bad_launch_is_refused_with_its_reason_and_signs_nobody_in(string payload)
    {
        var browser = fixture.Browser();
        var subject = "bad-" + payload.Replace(' ', '-');
        var students = await fixture.DbAsync(db => db.Students.CountAsync());
        var result = await _platform.LaunchAsync(browser, nonce =>
        {
            var claims = _platform.LaunchClaims(nonce, subject, browser.BaseAddress + "lti/launch", TestPlatform.LearnerRole);
            var past = DateTimeOffset.UtcNow.AddDays(-400).ToUnixTimeSeconds();
            switch (payload)
            {
                case "no kid": return _platform.Sign(claims, _platform.KeyWithoutId);
                case "wrong kid": return _platform.Sign(claims, _platform.UnknownKey);
                case "signed by another key under the platform's kid":
                    return _platform.Sign(claims, new Microsoft.IdentityModel.Tokens.RsaSecurityKey(_platform.UnknownKey.Rsa) { KeyId = _platform.KeyId });
                case "not a JWT": return "this-is.not-a.jwt-at-all";
                case "wrong LTI version": claims[LtiClaims.Version] = "1.2.0"; break;
                case "no LTI version": Remove(claims, LtiClaims.Version); break;
                case "no LTI claims":
                    foreach (var key in claims.Keys.Where(k => k.StartsWith("https://purl.imsglobal.org/spec/", StringComparison.Ordinal)).ToList()) claims.Remove(key);
                    break;
                case "timestamps in the past": (claims["iat"], claims["exp"]) = (past, past + 300); break;
                case "issued in the future": claims["iat"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(); claims["exp"] = DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeSeconds(); break;
                case "no message_type": Remove(claims, LtiClaims.MessageType); break;
                case "no roles claim": Remove(claims, LtiClaims.Roles); break;
                case "no deployment_id": Remove(claims, LtiClaims.DeploymentId); break;
                case "unregistered deployment_id": claims[LtiClaims.DeploymentId] = "another-deployment"; break;
                case "no resource_link id": claims[LtiClaims.ResourceLink] = new Dictionary<string, object> { ["title"] = "no id" }; break;
                case "no sub": Remove(claims, "sub"); break;
                case "another issuer": claims["iss"] = "https://lms.example.org"; break;
                case "another audience": claims["aud"] = "someone-else"; break;
                case "several audiences, azp another": (claims["aud"], claims["azp"]) = (new List<string> { _platform.ClientId, "other" }, "other"); break;
                case "another nonce": claims["nonce"] = "not-the-tools-nonce"; break;
                default: throw new ArgumentException(payload);
            }
            return _platform.Sign(claims);
        }, subject);

        Assert.InRange((int)result.Launch.StatusCode, 400, 499);
        var reason = await result.Launch.Content.ReadAsStringAsync();
        Assert.StartsWith("LearnDL could not open from your course.", reason);
        Assert.DoesNotContain("Exception", reason);
        Assert.False(result.Launch.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("learndl.owner", StringComparison.Ordinal)));
        Assert.Equal("nobody", await LtiFixture.WhoAsync(browser));
        Assert.Equal(students, await fixture.DbAsync(db => db.Students.CountAsync()));
        Assert.Null(await fixture.StudentOfAsync(subject));
    }

    [Theory]
    [InlineData("instructor, full role", "instructor")]
    [InlineData("instructor, short role", "instructor")]
    [InlineData("teaching assistant", "instructor")]
    [InlineData("administrator, short role", "instructor")]
    [InlineData("student, full role", "Ada Lovelace")]
    [InlineData("student, short role", "Ada Lovelace")]
    [InlineData("unknown role", "Ada Lovelace")]
    [InlineData("no role", "Ada Lovelace")]
    [InlineData("email only", "pseudonym")]
    [InlineData("names only", "Grace Hopper")]
    [InlineData("no personal data", "pseudonym")]
    [InlineData("no context", "Ada Lovelace")]
    public async Task A_valid_launch_signs_in_the_right_person(string launch, string expected)
    {
        var browser = fixture.Browser();
        var subject = "ok-" + launch.Replace(' ', '-').Replace(",", "");
        string[] roles = launch switch
        {
            "instructor, full role" => [TestPlatform.InstructorRole],
            "instructor, short role" => ["Instructor"],
            "teaching assistant" => ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
            "administrator, short role" => ["Administrator"],
            "student, short role" => ["Learner"],
            "unknown role" => ["http://example.org/roles#Juggler"],
            "no role" => [],
            _ => [TestPlatform.LearnerRole],
        };
        var result = await _platform.LaunchAsync(browser, subject, roles, claims =>
        {
            // A different name per case: two people of one name would be told apart with "(2)".
            claims["name"] = null;
            (claims["given_name"], claims["family_name"]) = ("Ada", "Lovelace " + subject[3..]);
            switch (launch)
            {
                case "email only": (claims["given_name"], claims["family_name"]) = (null, null); break;
                case "names only": (claims["given_name"], claims["family_name"], claims["email"]) = ("Grace", "Hopper", null); break;
                case "no personal data": (claims["given_name"], claims["family_name"], claims["email"]) = (null, null, null); break;
                case "no context": claims.Remove(LtiClaims.Context); break;
            }
        });

        Assert.True(result.Launch.StatusCode == HttpStatusCode.SeeOther, await result.Launch.Content.ReadAsStringAsync());
        var cookie = Assert.Single(result.Launch.Headers.GetValues("Set-Cookie"), c => c.StartsWith("learndl.owner=", StringComparison.Ordinal));
        Assert.Contains("samesite=none", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("partitioned", cookie, StringComparison.OrdinalIgnoreCase);
        var student = await fixture.StudentOfAsync(subject);
        if (expected == "instructor")
        {
            Assert.Equal("/instructor", result.Launch.Headers.Location!.ToString());
            Assert.Equal("instructor", await LtiFixture.WhoAsync(browser));
            Assert.Null(student);
            return;
        }
        Assert.Equal("/lessons", result.Launch.Headers.Location!.ToString());
        Assert.Equal("student", await LtiFixture.WhoAsync(browser));
        Assert.NotNull(student);
        var name = expected switch
        {
            "pseudonym" => LtiSignIn.Pseudonym(_platform.Issuer, subject),
            "Grace Hopper" => "Grace Hopper",
            _ => "Ada Lovelace " + subject[3..],
        };
        Assert.Equal(name[..Math.Min(40, name.Length)], student.DisplayName);
        var lmsUser = await fixture.DbAsync(db => db.LtiUsers.SingleAsync(u => u.Subject == subject));
        Assert.Equal(launch is "email only" ? "ada@example.edu" : launch is "names only" or "no personal data" ? null : "ada@example.edu", lmsUser.Email);
    }

    [Fact]
    public async Task One_student_per_LMS_user_however_often_they_launch_or_are_renamed_there()
    {
        const string subject = "same-person";
        var first = await _platform.LaunchAsync(fixture.Browser(), subject, [TestPlatform.LearnerRole], c => (c["name"], c["given_name"], c["family_name"]) = ("Katherine Johnson", null, null));
        Assert.Equal(HttpStatusCode.SeeOther, first.Launch.StatusCode);
        var student = await fixture.StudentOfAsync(subject);
        // Again, from another browser, renamed in the LMS: the same student, with the new name.
        var again = fixture.Browser();
        await _platform.LaunchAsync(again, subject, [TestPlatform.LearnerRole], c => (c["name"], c["given_name"], c["family_name"]) = ("Katherine G. Johnson", null, null));
        var renamed = await fixture.StudentOfAsync(subject);
        Assert.Equal(student!.Id, renamed!.Id);
        Assert.Equal("Katherine G. Johnson", renamed.DisplayName);
        Assert.Equal(1, await fixture.DbAsync(db => db.LtiUsers.CountAsync(u => u.Subject == subject)));
        Assert.Equal(1, await fixture.DbAsync(db => db.LtiLaunches.CountAsync(l => l.StudentId == student.Id)));

        // Someone else of the same name is another student, told apart.
        await _platform.LaunchAsync(fixture.Browser(), "namesake", [TestPlatform.LearnerRole], c => (c["name"], c["given_name"], c["family_name"]) = ("Katherine G. Johnson", null, null));
        var namesake = await fixture.StudentOfAsync("namesake");
        Assert.NotEqual(student.Id, namesake!.Id);
        Assert.Equal("Katherine G. Johnson 2", namesake.DisplayName);
    }

    [Fact]
    public async Task A_launch_is_recorded_with_its_course_link_and_the_services_the_platform_offers()
    {
        const string subject = "recorded";
        await _platform.LaunchAsync(fixture.Browser(), subject, [TestPlatform.LearnerRole],
            c => c[LtiClaims.Custom] = new Dictionary<string, object> { [LtiTargets.LessonParameter] = "cpu-and-gpu" });
        var student = await fixture.StudentOfAsync(subject);
        var context = await fixture.DbAsync(db => db.LtiContexts.SingleAsync(x => x.ContextId == TestPlatform.ContextId));
        Assert.Equal(($"{_platform.BaseUrl}/contexts/course-101/memberships", $"{_platform.BaseUrl}/contexts/course-101/lineitems", "Deep Learning 101"),
            (context.MembershipsUrl, context.LineItemsUrl, context.Title));
        var link = await fixture.DbAsync(db => db.LtiResourceLinks.SingleAsync(x => x.ResourceLinkId == TestPlatform.ResourceLinkId));
        Assert.Equal((context.Id, "cpu-and-gpu", $"{_platform.BaseUrl}/contexts/course-101/lineitems/1"), (link.ContextRecordId, link.Lesson, link.LineItemUrl));
        Assert.Contains("https://purl.imsglobal.org/spec/lti-ags/scope/score", link.AgsScopes);
        var launched = await fixture.DbAsync(db => db.LtiLaunches.SingleAsync(x => x.StudentId == student!.Id));
        Assert.Equal((link.Id, subject), (launched.ResourceLinkRecordId, launched.Subject));
    }

    [Fact]
    public async Task A_link_that_names_a_lesson_opens_that_lesson()
    {
        var browser = fixture.Browser();
        var result = await _platform.LaunchAsync(browser, "opens-lesson", [TestPlatform.LearnerRole],
            c => c[LtiClaims.Custom] = new Dictionary<string, object> { [LtiTargets.LessonParameter] = "cpu-and-gpu" });
        Assert.Equal("/lessons/cpu-and-gpu", result.Launch.Headers.Location!.ToString());
        var page = await browser.GetAsync("/lessons/cpu-and-gpu");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task A_launch_token_used_twice_is_refused_the_second_time()
    {
        var browser = fixture.Browser();
        string? token = null;
        var first = await _platform.LaunchAsync(browser, nonce => token = _platform.Sign(_platform.LaunchClaims(nonce, "replayed", browser.BaseAddress + "lti/launch", TestPlatform.LearnerRole)), "replayed");
        Assert.Equal(HttpStatusCode.SeeOther, first.Launch.StatusCode);
        // The same token, posted again with the state of a new login of the same browser (whose nonce differs) and with the old state.
        var second = await _platform.LaunchAsync(browser, _ => token!, "replayed");
        Assert.Equal(HttpStatusCode.Unauthorized, second.Launch.StatusCode);
        var oldState = await browser.PostAsync("/lti/launch", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["id_token"] = token!, ["state"] = first.AuthorizationRequest["state"],
        }));
        Assert.Equal(HttpStatusCode.BadRequest, oldState.StatusCode);
    }

    [Fact]
    public async Task A_launch_this_browser_did_not_start_is_refused()
    {
        var started = fixture.Browser();
        var other = fixture.Browser();
        var result = await _platform.LaunchAsync(started, nonce =>
        {
            return _platform.Sign(_platform.LaunchClaims(nonce, "stolen", started.BaseAddress + "lti/launch", TestPlatform.LearnerRole));
        }, "stolen");
        Assert.Equal(HttpStatusCode.SeeOther, result.Launch.StatusCode);
        // Another browser (no state cookie) posting a launch: refused, whatever its token.
        var posted = await other.PostAsync("/lti/launch", new FormUrlEncodedContent(new Dictionary<string, string> { ["id_token"] = "x.y.z", ["state"] = result.AuthorizationRequest["state"] }));
        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        Assert.Contains("This browser did not start this launch", await posted.Content.ReadAsStringAsync());
    }
}
