using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LearnDL.Testing;

namespace LearnDL.Web.Tests.RunService;

/// <summary>/api/runs against the whole app: the same checks and limits as the pages, in HTTP terms.</summary>
public class RunApiTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly LearnDLFactory _factory;

    public RunApiTests() => _factory = new LearnDLFactory(_temp.Path, ("LearnDL:MaxQueuedRunsPerOwner", "1"));

    public void Dispose()
    {
        _factory.Dispose();
        _temp.Dispose();
    }

    private static async Task<JsonObject> Json(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<JsonObject>())!;

    [Fact]
    public async Task Post_QueuesARun_ThatGetReportsUntilItCompletes()
    {
        var client = _factory.CreateClient();
        var response = await client.PostAsJsonAsync("/api/runs", new { dataset = "builtin", images = 16, epochs = 2, device = "cpu" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await Json(response))["id"]!.GetValue<string>();
        Assert.Equal($"/api/runs/{id}", response.Headers.Location!.ToString());

        var run = await client.WaitForRunAsync(Guid.Parse(id));
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        Assert.Equal(2, run["epochMetrics"]!.AsArray().Count);
        Assert.Equal(100, run["progress"]!["percent"]!.GetValue<double>());
        Assert.True(run["result"]!["microAccuracy"]!.GetValue<double>() > 0);

        var list = (await client.GetFromJsonAsync<JsonObject>("/api/runs?state=completed&device=cpu"))!;
        Assert.Equal(1, list["total"]!.GetValue<int>());
        Assert.Null(list["items"]![0]!["resultJson"]); // slim rows: no result, thumbnails or series
    }

    [Theory]
    [InlineData("""{"dataset":"imagenet","images":20}""", "Unknown dataset")]
    [InlineData("""{"images":2}""", "Images must be between 4")]
    [InlineData("""{"images":20,"device":"tpu"}""", "device must be cpu, gpu or auto")]
    [InlineData("""{"images":20,"device":"gpu"}""", "-p:RuntimeBuild=gpu")]
    [InlineData("""{"images":20,"epochs":500}""", "Epochs must be between 1 and 100")]
    [InlineData("""{"images":9000}""", "at most 5,000 images")]
    public async Task Post_BadRequest_Answers400WithTheProblems(string body, string problem)
    {
        var response = await _factory.CreateClient().PostAsync("/api/runs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problems = (await Json(response))["problems"]!.AsArray().Select(p => p!.GetValue<string>());
        Assert.Contains(problems, p => p.Contains(problem));
    }

    [Fact]
    public async Task Post_OverThePersonalLimit_Answers429_ButAnotherPersonGetsIn()
    {
        var student = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await student.PostAsJsonAsync("/api/runs", new { images = 400, epochs = 1, device = "cpu" })).StatusCode);
        var second = await student.PostAsJsonAsync("/api/runs", new { images = 20, epochs = 1, device = "cpu" });
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Contains("MaxQueuedRunsPerOwner", (await Json(second))["detail"]!.GetValue<string>());

        var classmate = _factory.CreateClient(); // another cookie, another person
        Assert.Equal(HttpStatusCode.Accepted, (await classmate.PostAsJsonAsync("/api/runs", new { images = 20, epochs = 1, device = "cpu" })).StatusCode);
    }

    [Fact]
    public async Task Delete_CancelsARunningRun_ThenAnswers409_AndUnknownRunsAre404()
    {
        var client = _factory.CreateClient();
        var id = (await Json(await client.PostAsJsonAsync("/api/runs", new { images = 600, epochs = 1, device = "cpu" })))["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Accepted, (await client.DeleteAsync($"/api/runs/{id}")).StatusCode);
        var run = await client.WaitForRunAsync(Guid.Parse(id));
        Assert.Equal("cancelled", run["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await client.DeleteAsync($"/api/runs/{id}")).StatusCode);

        var unknown = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/runs/{unknown}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/runs/{unknown}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/runs/not-a-guid")).StatusCode);
    }

    [Theory]
    [InlineData("?state=exploded", "state must be one of")]
    [InlineData("?device=tpu", "device must be cpu or gpu")]
    [InlineData("?pageSize=5000", "pageSize must be between 1 and 200")]
    public async Task List_BadFilter_Answers400(string query, string problem)
    {
        var response = await _factory.CreateClient().GetAsync("/api/runs" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(problem, (await Json(response))["detail"]!.GetValue<string>());
    }
}
