using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using LearnDL.Testing.Lti;
using LearnDL.Web.Identity.Lti;
using LearnDL.Web.Tests.Class;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Web.Tests.Lti;

/// <summary>A class with the instructor's passphrase and one configured platform; other test platforms register by URL.</summary>
public sealed class LtiRegistrationFixture : IAsyncLifetime
{
    public const string Passphrase = "teach-the-class-2026";
    private readonly TempFolder _temp = new();
    public string DataFolder => _temp.Path;
    public TestPlatform Configured { get; private set; } = null!;
    public LearnDLFactory App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Configured = await TestPlatform.StartAsync();
        App = new LearnDLFactory(_temp.Path, [("LearnDL:Class:InstructorPassphrase", Passphrase), .. Configured.Settings()]);
        App.CreateClient().Dispose();
    }

    public HttpClient Browser() => App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("https://localhost") });

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Configured.DisposeAsync();
        _temp.Dispose();
    }
}

/// <summary>
/// LTI Dynamic Registration (/lti/register) against the test platform: only with the dashboard's single-use code; the
/// LMS's configuration checked; LearnDL's registration as the spec wants it; the platform kept, and launching at once
/// beside the configured one; every refusal a plain reason that keeps nothing.
/// </summary>
public sealed partial class LtiRegistrationTests(LtiRegistrationFixture fixture) : IClassFixture<LtiRegistrationFixture>
{
    private LtiPlatforms Platforms => fixture.App.Services.GetRequiredService<LtiPlatforms>();
    private LtiRegistrationCode Codes => fixture.App.Services.GetRequiredService<LtiRegistrationCode>();

    /// <summary>The LMS opening the tool's registration address with its own parameters, as Moodle and Canvas do.</summary>
    private static string Opened(string address, TestPlatform lms) =>
        $"{new Uri(address).PathAndQuery}&openid_configuration={Uri.EscapeDataString(lms.OpenIdConfigurationUrl)}&registration_token={Uri.EscapeDataString(lms.RegistrationToken)}";

    private static async Task<string> DashboardAddressAsync(Visitor instructor)
    {
        var html = await instructor.Http.GetStringAsync("/instructor");
        return WebUtility.HtmlDecode(RegistrationUrl().Match(html) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException("The dashboard shows no registration address."));
    }

    private async Task<Visitor> InstructorAsync()
    {
        var instructor = new Visitor(fixture.App);
        instructor.Http.BaseAddress = new Uri("https://localhost"); // with LTI on, the antiforgery cookie is Secure
        Assert.Equal("/instructor", (await instructor.SignInAsync(LtiRegistrationFixture.Passphrase)).Headers.Location!.ToString());
        return instructor;
    }

    [Fact]
    public async Task The_dashboards_address_registers_the_LMS_whose_students_then_launch_without_a_restart_beside_the_configured_one()
    {
        await using var lms = await TestPlatform.StartAsync();
        var instructor = await InstructorAsync();
        var address = await DashboardAddressAsync(instructor);
        Assert.Matches(@"^https://localhost/lti/register\?code=[A-Za-z0-9_-]{22,}$", address);
        Assert.Equal(address, await DashboardAddressAsync(instructor)); // the same address until it is used or renewed
        var framing = await fixture.Browser().GetAsync("/join");
        Assert.DoesNotContain(lms.BaseUrl, string.Join(";", framing.Headers.GetValues("Content-Security-Policy")));

        var admin = fixture.Browser();
        var page = await admin.GetAsync(Opened(address, lms));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        Assert.Contains("LearnDL is registered in testlms", html);
        Assert.Contains($"<code data-testid=\"lti-registered-client-id\">{lms.ClientId}</code>", html);
        Assert.Contains($"<code data-testid=\"lti-registered-deployment\">{lms.DeploymentId}</code>", html);
        Assert.Contains("<script>(window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}, '*');</script>", html);
        // The LMS's page frames the answer, whose one inline script the policy allows by its hash.
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains($"frame-ancestors 'self' {lms.BaseUrl}", csp);
        Assert.Matches(@"script-src 'self' 'sha256-[A-Za-z0-9+/]{43}='", csp);
        Assert.False(page.Headers.Contains("X-Frame-Options"));

        // What LearnDL asked of the LMS: the spec's fields, the addresses of this server, the scopes and messages of /lti/config.
        var registration = Assert.Single(lms.Registrations);
        Assert.Equal("https://localhost/lti/login", registration.GetProperty("initiate_login_uri").GetString());
        Assert.Equal(["https://localhost/lti/launch"], registration.GetProperty("redirect_uris").EnumerateArray().Select(u => u.GetString()));
        Assert.Equal("https://localhost/lti/jwks", registration.GetProperty("jwks_uri").GetString());
        Assert.Equal("LearnDL", registration.GetProperty("client_name").GetString());
        Assert.Equal(LtiToolConfiguration.Scopes.Order(), registration.GetProperty("scope").GetString()!.Split(' ').Order());
        var tool = registration.GetProperty(TestPlatform.ToolConfigurationClaim);
        Assert.Equal("localhost", tool.GetProperty("domain").GetString());
        var messages = tool.GetProperty("messages").EnumerateArray().ToDictionary(m => m.GetProperty("type").GetString()!, m => m.GetProperty("placements").EnumerateArray().Select(p => p.GetString()).ToList());
        Assert.Equal(["course_navigation"], messages["LtiResourceLinkRequest"]);
        Assert.Equal(["link_selection", "assignment_selection"], messages["LtiDeepLinkingRequest"]);

        // Kept (in the data folder) and in use at once: its pages may frame LearnDL, and its student launches.
        var kept = Assert.Single(Platforms.Registered, p => p.Issuer == lms.Issuer);
        Assert.Equal((lms.ClientId, lms.DeploymentId, lms.JwksUrl, lms.TokenEndpoint, "testlms"), (kept.ClientId, kept.DeploymentIds.Single(), kept.JwksUrl, kept.TokenEndpoint, kept.Name));
        Assert.Contains(lms.Issuer, await File.ReadAllTextAsync(LtiPlatforms.FileIn(fixture.DataFolder)));
        Assert.Contains(lms.BaseUrl, string.Join(";", (await fixture.Browser().GetAsync("/join")).Headers.GetValues("Content-Security-Policy")));
        var student = fixture.Browser();
        var launch = await lms.LaunchAsync(student, "registered-student-1", [TestPlatform.LearnerRole]);
        Assert.True(launch.Launch.StatusCode == HttpStatusCode.SeeOther, await launch.Launch.Content.ReadAsStringAsync());
        Assert.Equal("student", await LtiFixture.WhoAsync(student));
        await using (var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<LearnDL.Web.Data.LearnDbContext>>().CreateDbContextAsync())
            Assert.True(await db.LtiUsers.AnyAsync(u => u.Issuer == lms.Issuer && u.Subject == "registered-student-1"));
        var configured = fixture.Browser();
        Assert.Equal(HttpStatusCode.SeeOther, (await fixture.Configured.LaunchAsync(configured, "configured-student-1", [TestPlatform.LearnerRole])).Launch.StatusCode);
        Assert.Equal("student", await LtiFixture.WhoAsync(configured));

        // The address is spent: the same again is refused; the dashboard shows a fresh one and the registered LMS.
        var again = await fixture.Browser().GetAsync(Opened(address, lms));
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        Assert.Contains("already used", await again.Content.ReadAsStringAsync());
        Assert.Single(lms.Registrations);
        Assert.NotEqual(address, await DashboardAddressAsync(instructor));
        Assert.Contains($"client id {lms.ClientId}", await instructor.Http.GetStringAsync("/instructor"));
    }

    [Theory]
    [InlineData("no code", 403, "has no registration code")]
    [InlineData("wrong code", 403, "already used, was replaced")]
    [InlineData("replaced code", 403, "already used, was replaced")]
    [InlineData("configuration on another host than its issuer", 400, "on another host")]
    [InlineData("no registration_endpoint", 400, "no usable registration_endpoint")]
    [InlineData("insecure issuer", 400, "not an https:// address")]
    [InlineData("the LMS refuses", 502, "Tool registrations are closed on this site.")]
    [InlineData("wrong registration token", 502, "registration token is missing or not the one")]
    [InlineData("no openid_configuration", 400, "without openid_configuration")]
    public async Task A_registration_that_cannot_be_done_is_refused_with_its_reason_and_keeps_nothing(string problem, int status, string reason)
    {
        await using var lms = await TestPlatform.StartAsync();
        var (address, _) = Codes.Renew("https://localhost");
        var opened = Opened(address, lms);
        switch (problem)
        {
            case "no code": opened = opened.Replace(new Uri(address).Query, "?code="); break;
            case "wrong code": opened = opened.Replace("code=", "code=x"); break;
            case "replaced code": Codes.Renew("https://localhost"); break;
            case "configuration on another host than its issuer":
                lms.EditOpenIdConfiguration = c => c["issuer"] = lms.Issuer.Replace("localhost", "127.0.0.1", StringComparison.Ordinal); break;
            case "no registration_endpoint": lms.EditOpenIdConfiguration = c => c.Remove("registration_endpoint"); break;
            case "insecure issuer": lms.EditOpenIdConfiguration = c => c["issuer"] = "http://lms.example.org"; break;
            case "the LMS refuses": lms.RegistrationRefusal = "Tool registrations are closed on this site."; break;
            case "wrong registration token": opened = opened.Replace(lms.RegistrationToken, "not-the-token", StringComparison.Ordinal); break;
            case "no openid_configuration": opened = new Uri(address).PathAndQuery; break;
            default: throw new ArgumentException(problem);
        }
        var registered = Platforms.Registered.Count;

        var answer = await fixture.Browser().GetAsync(opened);
        Assert.Equal(status, (int)answer.StatusCode);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.StartsWith("LearnDL was not registered in your LMS.", text);
        Assert.Contains(reason, text);
        Assert.DoesNotContain("Exception", text);
        Assert.Equal(registered, Platforms.Registered.Count);
        Assert.DoesNotContain(Platforms.All, p => p.Issuer == lms.Issuer);
        Assert.Empty(lms.Registrations);
        // A refusal after the code was accepted gives it back: the LMS administrator may try again with the same address.
        if (status != 403) Assert.Equal(address, Codes.Address("https://localhost").Address);
    }

    [Fact]
    public async Task An_LMS_that_names_no_deployment_is_kept_but_its_launches_are_refused_until_a_deployment_is_known()
    {
        await using var lms = await TestPlatform.StartAsync();
        lms.AnswersDeploymentId = false;
        var page = await fixture.Browser().GetAsync(Opened(Codes.Renew("https://localhost").Address, lms));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        Assert.Contains("no deployment id yet", html);
        Assert.Contains("add that id under LearnDL:Lti:Platforms", html);
        Assert.Empty(Assert.Single(Platforms.Registered, p => p.Issuer == lms.Issuer).DeploymentIds);
        // The spec does not let a tool take any deployment of a platform on trust: a launch names one, and it is not known.
        var login = await fixture.Browser().GetAsync("/lti/login?" + string.Join("&", lms.LoginParameters("https://localhost", "no-deployment-student", null)
            .Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")));
        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);
        Assert.Contains($"Deployment {lms.DeploymentId} of testlms is not registered", await login.Content.ReadAsStringAsync());
    }

    [GeneratedRegex("data-testid=\"lti-registration-url\"[^>]*>([^<]+)</code>")]
    private static partial Regex RegistrationUrl();
}

/// <summary>A registered LMS outlives a restart, and makes the server a class by itself (no passphrase, nothing configured).</summary>
public sealed class LtiRegistrationRestartTests
{
    [Fact]
    public async Task A_registered_LMS_launches_after_a_restart_with_no_passphrase_and_no_configured_platform()
    {
        using var temp = new TempFolder();
        await using var lms = await TestPlatform.StartAsync();
        await using (var first = new LearnDLFactory(temp.Path, ("LearnDL:Class:InstructorPassphrase", LtiRegistrationFixture.Passphrase)))
        {
            var address = first.Services.GetRequiredService<LtiRegistrationCode>().Address("https://localhost").Address;
            var admin = first.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("https://localhost") });
            var page = await admin.GetAsync($"{new Uri(address).PathAndQuery}&openid_configuration={Uri.EscapeDataString(lms.OpenIdConfigurationUrl)}&registration_token={lms.RegistrationToken}");
            Assert.True(page.StatusCode == HttpStatusCode.OK, await page.Content.ReadAsStringAsync());
        }
        await using var second = new LearnDLFactory(temp.Path);
        var student = second.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("https://localhost") });
        var launch = await lms.LaunchAsync(student, "after-restart", [TestPlatform.LearnerRole]);
        Assert.True(launch.Launch.StatusCode == HttpStatusCode.SeeOther, await launch.Launch.Content.ReadAsStringAsync());
        Assert.Equal("student", await LtiFixture.WhoAsync(student));
    }
}
