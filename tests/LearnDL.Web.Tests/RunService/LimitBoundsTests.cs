using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LearnDL.Web.RunService;
using LearnDL.Web.Tests.Class;

namespace LearnDL.Web.Tests.RunService;

/// <summary>Limits have bounds, in appsettings.json, the dashboard and the API alike, and a refusal names them.</summary>
public class LimitBoundsTests : ClassAppTests
{
    public static TheoryData<string, int, string> OutOfBounds => new()
    {
        { "maxConcurrentCpuRuns", Environment.ProcessorCount + 1, $"MaxConcurrentCpuRuns (CPU runs at once) must be between 1 and {Environment.ProcessorCount} (this server has {Environment.ProcessorCount} core" },
        { "maxConcurrentCpuRuns", 0, "MaxConcurrentCpuRuns (CPU runs at once) must be between 1 and" },
        { "maxConcurrentGpuRuns", 5, "MaxConcurrentGpuRuns (GPU runs at once) must be between 1 and 4" },
        { "maxImagesPerRun", 100_001, "MaxImagesPerRun (images per run) must be between 4 and 100,000, not 100,001." },
        { "maxEpochs", 101, "MaxEpochs (epochs per run) must be between 1 and 100, not 101." },
        { "maxQueuedRuns", 1001, "MaxQueuedRuns (runs queued, whole class) must be between 1 and 1,000" },
        { "maxQueuedRunsPerOwner", 0, "MaxQueuedRunsPerOwner (runs queued per student) must be between 1 and 100" },
    };

    [Theory]
    [MemberData(nameof(OutOfBounds))]
    public async Task PutLimits_OutOfBounds_Is400NamingTheBound_AndChangesNothing(string field, int value, string message)
    {
        var instructor = await InstructorAsync();
        var before = (await instructor.Http.GetFromJsonAsync<JsonObject>("/api/instructor/limits"))!;
        var limits = before.DeepClone().AsObject();
        limits[field] = value;
        limits["maxEpochs"] = field == "maxEpochs" ? value : 2; // a change that is fine, refused with the rest

        var refused = await instructor.Http.PutAsJsonAsync("/api/instructor/limits", limits);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(message, (await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
        Assert.Equal(before.ToJsonString(), (await instructor.Http.GetFromJsonAsync<JsonObject>("/api/instructor/limits"))!.ToJsonString());
    }

    [Fact]
    public async Task PutLimits_AtTheBounds_IsAccepted()
    {
        var instructor = await InstructorAsync();
        var at = new RunLimits(100_000, 100, 1000, 100, Environment.ProcessorCount, LimitBounds.GpuRunsCeiling);
        var answer = await instructor.Http.PutAsJsonAsync("/api/instructor/limits", at);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(at, await answer.Content.ReadFromJsonAsync<RunLimits>());
    }

    [Fact]
    public async Task PutLimits_WithTheEarlierNames_cpuWorkersAndGpuWorkers_StillWorks_AndGetAnswersTheNewNames()
    {
        var instructor = await InstructorAsync();
        var old = new { maxImagesPerRun = 2000, maxEpochs = 10, maxQueuedRuns = 100, maxQueuedRunsPerOwner = 3, cpuWorkers = 1, gpuWorkers = 2 };
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PutAsJsonAsync("/api/instructor/limits", old)).StatusCode);
        var now = (await instructor.Http.GetFromJsonAsync<JsonObject>("/api/instructor/limits"))!;
        Assert.Equal(1, now["maxConcurrentCpuRuns"]!.GetValue<int>());
        Assert.Equal(2, now["maxConcurrentGpuRuns"]!.GetValue<int>());
        Assert.Null(now["cpuWorkers"]);

        // Both names of one limit, different values: either could be meant, so nothing changes.
        var both = await instructor.Http.PutAsJsonAsync("/api/instructor/limits", new
        {
            maxImagesPerRun = 2000, maxEpochs = 10, maxQueuedRuns = 100, maxQueuedRunsPerOwner = 3, maxConcurrentCpuRuns = 1, cpuWorkers = 2, maxConcurrentGpuRuns = 1,
        });
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Contains("cpuWorkers is the earlier name of maxConcurrentCpuRuns", (await both.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
        Assert.Equal(now.ToJsonString(), (await instructor.Http.GetFromJsonAsync<JsonObject>("/api/instructor/limits"))!.ToJsonString());
    }

    [Fact]
    public void Settings_OutOfBounds_FailTheStart_NamingEachSetting()
    {
        var result = new ValidateLearnDLOptions().Validate(null, new LearnDLOptions
        {
            MaxConcurrentCpuRuns = Environment.ProcessorCount + 1, MaxConcurrentGpuRuns = 9, MaxQueuedRuns = 5000,
        });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith($"LearnDL:MaxConcurrentCpuRuns (CPU runs at once) must be between 1 and {Environment.ProcessorCount}"));
        Assert.Contains(result.Failures!, f => f.StartsWith("LearnDL:MaxConcurrentGpuRuns (GPU runs at once) must be between 1 and 4"));
        Assert.Contains(result.Failures!, f => f.StartsWith("LearnDL:MaxQueuedRuns (runs queued, whole class) must be between 1 and 1,000"));
        Assert.DoesNotContain(new ValidateLearnDLOptions().Validate(null, new LearnDLOptions()).Failures ?? [], f => f.Contains("Max"));
    }

    [Fact]
    public void Clamp_BringsLimitsKeptFromABiggerServerWithinThisOnesBounds()
    {
        var kept = new RunLimits(200_000, 20, 100, 3, Environment.ProcessorCount + 8, 16);
        Assert.Equal(new RunLimits(100_000, 20, 100, 3, Environment.ProcessorCount, LimitBounds.GpuRunsCeiling), LimitBounds.Clamp(kept));
    }
}
