using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LearnDL.Web.Tests.Class;

namespace LearnDL.Web.Tests.Workers;

/// <summary>Who sees the machines: the instructor of a class (and the learner of a personal server), not a student.</summary>
public class WorkersAccessTests : ClassAppTests
{
    [Fact]
    public async Task TheInstructorSeesTheMachines_AStudentDoesNot_AndInProcessThereIsNothingToDrain()
    {
        var student = await StudentAsync("Ada Lovelace");
        Assert.Equal(HttpStatusCode.Forbidden, (await student.Http.GetAsync("/api/workers")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await student.Http.PostAsync("/api/workers/local/drain", null)).StatusCode);

        var instructor = await InstructorAsync();
        var body = await instructor.Http.GetFromJsonAsync<JsonObject>("/api/workers");
        Assert.Equal("in-process", body!["engine"]!.GetValue<string>());
        var local = Assert.Single(body["workers"]!.AsArray());
        Assert.Equal("local", local!["name"]!.GetValue<string>());
        Assert.Equal(1, body["capacity"]!["cpu"]!.GetValue<int>());
        var drain = await instructor.Http.PostAsync("/api/workers/local/drain", null);
        Assert.Equal(HttpStatusCode.NotFound, drain.StatusCode);
        Assert.Contains("no worker machine to drain", await drain.Content.ReadAsStringAsync());
        // Hangfire's dashboard exists only with worker machines.
        Assert.Equal(HttpStatusCode.NotFound, (await instructor.Http.GetAsync("/instructor/jobs")).StatusCode);
    }
}
