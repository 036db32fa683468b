using Bunit;
using LearnDL.Web.Features.Instructor;
using LearnDL.Web.Identity.Lti;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Web.Tests;

/// <summary>The dashboard's registration address for LTI Dynamic Registration: shown, renewed by its button, and followed by the LMSs registered.</summary>
public class LtiRegistrationPanelTests : RunServiceContext
{
    public LtiRegistrationPanelTests() : base(o => o.Class.InstructorPassphrase = "teach-the-class-2026")
    {
        Services.AddSingleton<LtiPlatforms>();
        Services.AddSingleton<LtiRegistrationCode>();
    }

    private static string Code(string address) => address[(address.IndexOf("code=", StringComparison.Ordinal) + 5)..];

    [Fact]
    public void The_panel_shows_a_single_use_address_that_New_address_replaces_and_lists_an_LMS_once_it_registered()
    {
        var codes = Services.GetRequiredService<LtiRegistrationCode>();
        var cut = Render<LtiRegistrationPanel>();
        var first = cut.Find("[data-testid=lti-registration-url]").TextContent;
        Assert.StartsWith("http://localhost/lti/register?code=", first);
        Assert.Empty(cut.FindAll("[data-testid=lti-registered-platform]"));

        cut.Find("button[data-testid=lti-registration-new]").Click();
        var second = cut.Find("[data-testid=lti-registration-url]").TextContent;
        Assert.NotEqual(first, second);
        Assert.False(codes.TryTake(Code(first))); // the old address no longer registers anything

        // The LMS registers with the new address: the panel lists it and shows a fresh address, the used one being spent.
        Assert.True(codes.TryTake(Code(second)));
        Services.GetRequiredService<LtiPlatforms>().Register(new LtiPlatform
        {
            Issuer = "https://moodle.example.edu", ClientId = "abc123", DeploymentIds = ["7"], Name = "moodle",
            AuthorizationEndpoint = "https://moodle.example.edu/mod/lti/auth.php", JwksUrl = "https://moodle.example.edu/mod/lti/certs.php",
            TokenEndpoint = "https://moodle.example.edu/mod/lti/token.php",
        });
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("moodle (https://moodle.example.edu), client id abc123, deployment 7", cut.Find("[data-testid=lti-registered-platform]").TextContent);
            Assert.NotEqual(second, cut.Find("[data-testid=lti-registration-url]").TextContent);
        });
    }
}
