using System.Net;
using LearnDL.Web.Identity;
using LearnDL.Web.Telemetry;
using LearnDL.Web.Tests.Class;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Web.Tests.Telemetry;

/// <summary>The app hosting a class whose Prometheus scrapes from 10.1.0.0/16; requests say which address they come from.</summary>
public sealed class MetricsApp : IDisposable
{
    public const string Passphrase = "teach-the-class-2026";
    private readonly TempFolder _temp = new();

    public MetricsApp() => Factory = new LearnDLFactory(_temp.Path,
        ("LearnDL:Class:InstructorPassphrase", Passphrase), ("LearnDL:Metrics:AllowedNetworks:0", "10.1.0.0/16"))
    {
        // The test server has no network: each request may say which address it comes from.
        TestServices = services => services.AddSingleton<IStartupFilter, AddressFromHeader>(),
    };

    public LearnDLFactory Factory { get; }

    public void Dispose()
    {
        Factory.Dispose();
        _temp.Dispose();
    }

    public sealed class AddressFromHeader : IStartupFilter
    {
        public const string Header = "X-Test-Client-Address";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextStep) =>
            {
                if (context.Request.Headers[Header] is [{ } address]) context.Connection.RemoteIpAddress = IPAddress.Parse(address);
                return nextStep();
            });
            next(app);
        };
    }
}

/// <summary>
/// /metrics answers the instructor and the configured networks (where the class's Prometheus runs), and nobody
/// else: a student, a visitor, or a machine outside that network gets a plain refusal.
/// </summary>
public sealed class MetricsAccessTests(MetricsApp app) : IClassFixture<MetricsApp>
{
    private readonly LearnDLFactory _factory = app.Factory;

    [Fact]
    public async Task Metrics_StudentsAndVisitors_AreRefusedPlainly_TheInstructorReadsLearnDLsMeters()
    {
        var student = new Visitor(_factory);
        Assert.Equal(HttpStatusCode.Redirect, (await student.JoinAsync("Ada")).StatusCode);
        var refused = await student.Http.GetAsync(TelemetrySetup.MetricsPath);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(MetricsAccess.Refusal, await refused.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", refused.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, (await new Visitor(_factory).Http.GetAsync(TelemetrySetup.MetricsPath)).StatusCode);

        var instructor = new Visitor(_factory);
        Assert.Equal("/instructor", (await instructor.SignInAsync(MetricsApp.Passphrase)).Headers.Location!.ToString());
        var metrics = await instructor.Http.GetStringAsync(TelemetrySetup.MetricsPath);
        Assert.Contains("learndl_queue_length{", metrics);
        Assert.Contains("learndl_circuits_online", metrics);
    }

    [Theory]
    [InlineData("10.1.7.20", HttpStatusCode.OK)]
    [InlineData("::ffff:10.1.7.20", HttpStatusCode.OK)] // the same machine, as a dual-stack socket reports it
    [InlineData("10.2.0.1", HttpStatusCode.Forbidden)]
    [InlineData("127.0.0.1", HttpStatusCode.Forbidden)] // not even this machine, unless it is configured
    public async Task Metrics_WithoutSigningIn_AnswerOnlyTheConfiguredNetwork(string address, HttpStatusCode expected)
    {
        using var scraper = _factory.CreateClient();
        scraper.DefaultRequestHeaders.Add(MetricsApp.AddressFromHeader.Header, address);
        var answer = await scraper.GetAsync(TelemetrySetup.MetricsPath);
        Assert.Equal(expected, answer.StatusCode);
        if (expected == HttpStatusCode.OK) Assert.Contains("learndl_runs_running{", await answer.Content.ReadAsStringAsync());
    }
}

/// <summary>The settings and counts behind /metrics, without an app.</summary>
public sealed class MetricsRulesTests
{
    [Fact]
    public void AllowedNetworks_NotANetwork_FailsTheStart_SayingWhatIsExpected()
    {
        var options = new LearnDLOptions { Metrics = { AllowedNetworks = ["10.0.0.0/8", "192.168.1.7", "the lab"] } };
        var result = new ValidateLearnDLOptions().Validate(null, options);
        var problem = Assert.Single(result.Failures!, f => f.Contains("AllowedNetworks"));
        Assert.Contains("'the lab' is not a network such as 10.0.5.0/24", problem);
    }

    [Fact]
    public void StudentsOnline_CountStudentsOnce_WhateverTheirTabs()
    {
        var online = new CircuitsOnline();
        var ada = new RunOwner("student-ada", "Ada", OwnerRole.Student);
        online.Up(ada);
        online.Up(ada);
        online.Up(RunOwner.Instructor);
        Assert.Equal((3, 1), (online.Circuits, online.Students));
        online.Down(ada);
        Assert.Equal((2, 1), (online.Circuits, online.Students));
        online.Down(ada);
        online.Down(RunOwner.Instructor);
        Assert.Equal((0, 0), (online.Circuits, online.Students));
    }
}
