using System.Net;
using LearnDL.Web.Reconnection;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Tests;

/// <summary>What the server gives a page for getting its connection back (the browser's side: LearnDL.E2E ReconnectTests).</summary>
public class ReconnectionTests
{
    [Fact]
    public async Task EveryPage_CarriesTheReconnectPolicyFromItsSettings_AndStartsBlazorWithIt()
    {
        using var temp = new TempFolder();
        using var app = new LearnDLFactory(temp.Path, ("LearnDL:Reconnect:MaxRetrySeconds", "30"), ("LearnDL:Reconnect:FirstRetrySeconds", "0.25"));
        foreach (var path in new[] { "/lessons/one-training-step", "/join" })
        {
            var response = await app.CreateClient().GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.Content.ReadAsStringAsync();
            Assert.Contains("data-first-retry-ms=\"250\"", page);
            Assert.Contains("data-max-retry-ms=\"30000\"", page);
            Assert.Contains("data-reload-jitter-ms=\"2000\"", page); // the shipped value
            Assert.Contains("<script src=\"_framework/blazor.web.js\" autostart=\"false\"></script>", page);
            Assert.Contains("<script type=\"module\" src=\"js/start-blazor.js\"></script>", page);
        }
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/js/reconnection.js")).StatusCode);
    }

    [Fact]
    public void CircuitOptions_KeepAWholeClassOfDisconnectedPages_ForThreeMinutes()
    {
        using var temp = new TempFolder();
        using var app = new LearnDLFactory(temp.Path);
        var circuits = app.Services.GetRequiredService<IOptions<CircuitOptions>>().Value;
        Assert.True(circuits.DisconnectedCircuitMaxRetained >= 300 * 2, "a class of 300 dropped at once, a second tab each, keeps its circuits");
        Assert.Equal(TimeSpan.FromMinutes(3), circuits.DisconnectedCircuitRetentionPeriod);
    }

    [Fact]
    public void Validate_ReconnectSettingsOutOfBounds_FailNamingTheSetting()
    {
        var options = new LearnDLOptions { Reconnect = new ReconnectOptions { FirstRetrySeconds = 0, MaxRetrySeconds = double.NaN, ReloadJitterSeconds = -1 } };
        var failures = new ValidateLearnDLOptions().Validate(null, options).Failures ?? [];
        Assert.Contains(failures, f => f.StartsWith("LearnDL:Reconnect:FirstRetrySeconds"));
        Assert.Contains(failures, f => f.StartsWith("LearnDL:Reconnect:MaxRetrySeconds"));
        Assert.Contains(failures, f => f.StartsWith("LearnDL:Reconnect:ReloadJitterSeconds"));
        options.Reconnect = new ReconnectOptions { FirstRetrySeconds = 5, MaxRetrySeconds = 2 }; // a ceiling below the first wait
        Assert.Contains(new ValidateLearnDLOptions().Validate(null, options).Failures ?? [], f => f.StartsWith("LearnDL:Reconnect:MaxRetrySeconds"));
        Assert.DoesNotContain(new ValidateLearnDLOptions().Validate(null, new LearnDLOptions()).Failures ?? [], f => f.Contains("Reconnect"));
    }
}
