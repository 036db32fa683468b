using System.Net;
using System.Net.Http.Json;
using LearnDL.Web.Data;
using LearnDL.Web.Features.Lessons;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Web.Tests.Class;

/// <summary>No user-supplied name or path reaches the file system unchecked; the database and uploads are never served.</summary>
public class SecurityTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly TempFolder _outside = new();
    private readonly LearnDLFactory _factory;

    public SecurityTests()
    {
        // A folder dataset root with a link in the middle of it that leads outside.
        var root = Path.Combine(_temp.Path, "folders");
        Directory.CreateDirectory(Path.Combine(root, "fine"));
        foreach (var c in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(_outside.Path, "secret", c));
            for (int i = 0; i < 2; i++) File.WriteAllBytes(Path.Combine(_outside.Path, "secret", c, $"{i}.png"), Zips.Png((byte)(i * 50)));
        }
        Directory.CreateSymbolicLink(Path.Combine(root, "shortcut"), _outside.Path);
        _factory = new LearnDLFactory(_temp.Path);
    }

    public void Dispose()
    {
        _factory.Dispose();
        _temp.Dispose();
        _outside.Dispose();
    }

    [Theory]
    [InlineData("folder:/etc", "not one this server offers")]
    [InlineData("folder:../../../etc", "not one this server offers")]
    [InlineData("folder:{root}/../../..", "not one this server offers")]
    [InlineData("folder:{root}/shortcut/secret", "not one this server offers")] // a link in the middle of the path
    [InlineData("upload:../../learndl.db", "Unknown dataset")]
    [InlineData("upload:", "Unknown dataset")]
    public async Task RunRequest_WithAPathOutsideTheAllowedFolders_IsRefused(string dataset, string problem)
    {
        var client = _factory.CreateClient();
        var response = await client.PostAsJsonAsync("/api/runs", new { dataset = dataset.Replace("{root}", Path.Combine(_temp.Path, "folders")), images = 4, epochs = 1, device = "cpu" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(problem, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/learndl.db")]
    [InlineData("/content/../learndl.db")]
    [InlineData("/content/..%2flearndl.db")]
    [InlineData("/content/%2e%2e/%2e%2e/learndl.db")]
    [InlineData("/uploads/")]
    [InlineData("/models/")]
    [InlineData("/_content/../learndl.db")]
    [InlineData("/api/runs/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/api/runs/00000000-0000-0000-0000-000000000000/model")]
    public async Task DataFolder_IsNeverServed(string path)
    {
        var client = _factory.CreateClient();
        _ = await client.GetAsync("/"); // the database exists by now
        var response = await client.GetAsync(path);
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.False(body.Length > 16 && System.Text.Encoding.ASCII.GetString(body, 0, 15) == "SQLite format 3", "the database was served");
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/api/runs")]
    [InlineData("/content/parallel-work.svg")]
    [InlineData("/nowhere")]
    public async Task EveryAnswer_CarriesTheSecurityHeaders(string path)
    {
        var response = await _factory.CreateClient().GetAsync(path);
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy")); // one policy holding every directive
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task StudentProgress_IsKeptWithEachStudent_Apart()
    {
        _ = _factory.CreateClient();
        var db = _factory.Services.GetRequiredService<IDbContextFactory<LearnDbContext>>();
        var ada = new StudentProgressStore(db, "student-ada");
        await ada.SaveAsync(new ProgressState(new HashSet<string> { "cpu-and-gpu" }, new Dictionary<string, int> { ["cpu-and-gpu/latency"] = 0 }));
        await new StudentProgressStore(db, "student-bob").SaveAsync(new ProgressState(new HashSet<string> { "transfer-learning" }, new Dictionary<string, int>()));
        await ada.SaveAsync(new ProgressState(new HashSet<string> { "cpu-and-gpu", "one-training-step" }, new Dictionary<string, int> { ["cpu-and-gpu/latency"] = 1 }));

        var state = await new StudentProgressStore(db, "student-ada").LoadAsync(); // another computer, same student
        Assert.Equal(["cpu-and-gpu", "one-training-step"], state.Read.Order());
        Assert.Equal(1, state.Answers["cpu-and-gpu/latency"]);
        Assert.Equal(["transfer-learning"], (await new StudentProgressStore(db, "student-bob").LoadAsync()).Read);
    }
}
