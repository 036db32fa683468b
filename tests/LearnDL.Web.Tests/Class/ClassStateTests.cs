using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LearnDL.Training.Compute;
using LearnDL.Web.Features.Instructor;
using LearnDL.Web.RunService;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static LearnDL.Web.Tests.Restarts;

namespace LearnDL.Web.Tests.Class;

/// <summary>What the instructor switched (paused queues, limits, the class comparison) holds across a restart.</summary>
public sealed class ClassStateTests : IDisposable
{
    private readonly Restarts _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Restart_KeepsPausedQueues_TheInstructorsLimits_AndTheComparisonSwitch_UntilReset()
    {
        var first = _server.Start();
        var instructor = new Visitor(first);
        Assert.Equal(HttpStatusCode.Redirect, (await instructor.SignInAsync(Passphrase)).StatusCode);
        var limits = (await instructor.Http.GetFromJsonAsync<JsonObject>("/api/instructor/limits"))!;
        limits["maxImagesPerRun"] = 50;
        limits["maxQueuedRunsPerOwner"] = 2;
        var changed = limits.Deserialize<RunLimits>(JsonSerializerOptions.Web)!;
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PutAsJsonAsync("/api/instructor/limits", limits)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PostAsync("/api/instructor/queue/cpu/pause", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PostAsync("/api/instructor/comparison?show=true", null)).StatusCode);
        _server.Stop(first);

        var second = _server.Start();
        var queue = second.Services.GetRequiredService<IRunQueue>();
        Assert.Equal(changed, queue.Limits);
        Assert.True(Cpu(second).Paused);
        Assert.False(queue.View().Lanes.Single(l => l.Device == ComputeDevice.Gpu).Paused);
        Assert.True(second.Services.GetRequiredService<ClassSettings>().ShowComparison);
        Assert.True(second.Services.GetRequiredService<QueueControls>().LimitsChanged);

        // Back to appsettings.json's limits: after the next restart too; the pause is another matter.
        var again = new Visitor(second);
        await again.SignInAsync(Passphrase);
        Assert.Equal(HttpStatusCode.OK, (await again.Http.DeleteAsync("/api/instructor/limits")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await again.Http.PostAsync("/api/instructor/comparison?show=false", null)).StatusCode);
        _server.Stop(second);

        var third = _server.Start();
        var configured = LimitBounds.Configured(third.Services.GetRequiredService<IOptions<LearnDLOptions>>().Value);
        Assert.Equal(configured, third.Services.GetRequiredService<IRunQueue>().Limits);
        Assert.True(Cpu(third).Paused);
        Assert.False(third.Services.GetRequiredService<ClassSettings>().ShowComparison);
        Assert.False(third.Services.GetRequiredService<QueueControls>().LimitsChanged);
    }

    [Fact]
    public async Task ChangeLimits_OutOfBounds_IsNotKept()
    {
        var first = _server.Start();
        var controls = first.Services.GetRequiredService<QueueControls>();
        var queue = first.Services.GetRequiredService<IRunQueue>();
        var before = queue.Limits;
        await Assert.ThrowsAsync<ArgumentException>(() => controls.ChangeLimitsAsync(before with { MaxConcurrentGpuRuns = LimitBounds.GpuRunsCeiling + 1 }));
        Assert.False(controls.LimitsChanged);
        _server.Stop(first);

        Assert.Equal(before, _server.Start().Services.GetRequiredService<IRunQueue>().Limits);
    }
}
