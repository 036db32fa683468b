using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LearnDL.Testing;
using LearnDL.Web.Datasets;
using LearnDL.Web.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Web.Tests.Class;

/// <summary>A visitor of the test: an HTTP client with its own cookies, that fills forms as a browser does.</summary>
public sealed partial class Visitor
{
    public HttpClient Http { get; }

    public Visitor(LearnDLFactory factory)
    {
        Http = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Http.DefaultRequestHeaders.Accept.ParseAdd("text/html"); // page visits, as a browser makes them
    }

    /// <summary>Opens the page with the form, then posts it with its antiforgery token.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string page, string action, params (string Key, string Value)[] fields)
    {
        var html = await Http.GetStringAsync(page);
        var token = Token().Match(html).Groups[1].Value;
        return await Http.PostAsync(action, new FormUrlEncodedContent([.. fields.Select(f => KeyValuePair.Create(f.Key, f.Value)), KeyValuePair.Create("__RequestVerificationToken", token)]));
    }

    public Task<HttpResponseMessage> JoinAsync(string name) => PostFormAsync("/join", "/account/join", ("name", name), ("returnUrl", "/lessons"));

    public Task<HttpResponseMessage> SignInAsync(string passphrase) => PostFormAsync("/instructor/sign-in", "/account/instructor-sign-in", ("passphrase", passphrase), ("returnUrl", "/instructor"));

    public Task<Guid> RunAsync(object request) => Http.SubmitAsync(request);

    public Task<JsonObject> WaitForAsync(Guid id, params string[] states) => Http.WaitForRunAsync(id, states: states);

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}

/// <summary>
/// The whole app hosting a class, fresh for each test (its own data folder and the instructor's
/// passphrase), with students and the instructor as visitors.
/// </summary>
public abstract class ClassAppTests : IDisposable
{
    protected const string Passphrase = "teach-the-class-2026";
    protected readonly TempFolder _temp = new();
    protected readonly LearnDLFactory _factory;

    protected ClassAppTests() => _factory = new LearnDLFactory(_temp.Path, ("LearnDL:Class:InstructorPassphrase", Passphrase));

    /// <summary>The same app with some of its services replaced (a clock the test controls).</summary>
    protected ClassAppTests(Action<IServiceCollection> services) =>
        _factory = new LearnDLFactory(_temp.Path, ("LearnDL:Class:InstructorPassphrase", Passphrase)) { TestServices = services };

    public void Dispose()
    {
        _factory.Dispose();
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    protected async Task<Visitor> StudentAsync(string name)
    {
        var student = new Visitor(_factory);
        Assert.Equal(HttpStatusCode.Redirect, (await student.JoinAsync(name)).StatusCode);
        return student;
    }

    protected async Task<Visitor> InstructorAsync()
    {
        var instructor = new Visitor(_factory);
        Assert.Equal("/instructor", (await instructor.SignInAsync(Passphrase)).Headers.Location!.ToString());
        return instructor;
    }
}

/// <summary>Class mode, through HTTP against the whole app: students, the instructor, who may see what.</summary>
public class ClassModeTests : ClassAppTests
{
    [Fact]
    public async Task StudentsUpload_IsTheirsAlone_AndOnlyTheyOrTheInstructorMayDeleteIt()
    {
        _ = _factory.CreateClient(); // starts the host
        var uploads = _factory.Services.GetRequiredService<UploadedDatasets>();
        // Students in the class's register: the importer refuses one it does not hold.
        var students = _factory.Services.GetRequiredService<StudentRegistry>();
        var ada = (await students.JoinAsync("Ada", null)).Owner!;
        var bob = (await students.JoinAsync("Bob", null)).Owner!;
        var zip = Zips.Good();
        var outcome = await uploads.ImportAsync(new MemoryStream(zip), zip.Length, "Ada shapes", ada);
        Assert.True(outcome.Accepted, outcome.Message);

        var rules = _factory.Services.GetRequiredService<Microsoft.AspNetCore.Authorization.IAuthorizationService>();
        Assert.Empty(await uploads.VisibleToAsync(bob));
        Assert.False(await rules.AllowsAsync(bob, outcome.Dataset!, Access.Delete));
        Assert.False(await uploads.DeleteAsync(outcome.Dataset!.Id, bob));
        Assert.True(await rules.AllowsAsync(ada, outcome.Dataset!, Access.Delete));
        Assert.True(await uploads.DeleteAsync(outcome.Dataset!.Id, RunOwner.Instructor));
        Assert.Empty(await uploads.VisibleToAsync(ada));
    }

    /// <summary>A student's measured GPU is theirs: it follows a merge into their new name, and goes when they are removed.</summary>
    [Fact]
    public async Task StudentsGpu_FollowsAMerge_AndGoesWithTheStudent()
    {
        _ = _factory.CreateClient(); // starts the host
        var students = _factory.Services.GetRequiredService<StudentRegistry>();
        var factory = _factory.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<LearnDL.Web.Data.LearnDbContext>>();
        var gpus = _factory.Services.GetRequiredService<LearnDL.Web.Features.MyGpu.ClassGpus>();
        var old = (await students.JoinAsync("Ada", null)).Owner!;
        var renewed = (await students.JoinAsync("Ada again", null)).Owner!;
        await new LearnDL.Web.Features.MyGpu.StudentGpuStore(factory, old.Id).SaveAsync(LearnDL.Web.Features.MyGpu.GpuResultParser.Parse(MyGpuTests.T4Result).Gpu!);
        Assert.Null(await students.MergeAsync(old.Id, renewed.Id));
        Assert.Equal("Tesla T4", (await new LearnDL.Web.Features.MyGpu.StudentGpuStore(factory, renewed.Id).LoadAsync())?.Name);
        Assert.Equal("Ada again", Assert.Single(await gpus.ListAsync()).Student);
        Assert.True(await students.RemoveAsync(renewed.Id));
        Assert.Empty(await gpus.ListAsync());
        await using var db = await factory.CreateDbContextAsync();
        Assert.Empty(db.StudentGpus);
    }

    [Fact]
    public async Task Anonymous_IsSentToChooseAName_TheInstructorsPagesToSignIn_AndTheApiAnswers401()
    {
        var stranger = new Visitor(_factory);
        var home = await stranger.Http.GetAsync("/lessons");
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.Equal("/join?returnUrl=%2Flessons", home.Headers.Location!.ToString());
        Assert.Equal("/instructor/sign-in?returnUrl=%2Finstructor", (await stranger.Http.GetAsync("/instructor")).Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.Http.GetAsync("/api/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.Http.GetAsync("/api/instructor/queue")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.Http.GetAsync("/api/instructor/results.csv")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await stranger.Http.GetAsync("/join")).StatusCode);
    }

    [Fact]
    public async Task Join_NamesAreCleanedUniqueAndChangeable_AndShownEncoded()
    {
        var ada = await StudentAsync("  Ada   Lovelace ");
        Assert.Equal("/lessons", (await ada.JoinAsync("Ada Lovelace")).Headers.Location!.ToString()); // her own name again: fine
        var copycat = new Visitor(_factory);
        var taken = await copycat.JoinAsync("ADA LOVELACE");
        Assert.StartsWith("/join?error=", taken.Headers.Location!.ToString());
        Assert.Contains("already called ADA LOVELACE", Uri.UnescapeDataString(taken.Headers.Location!.ToString())); // names differ only in case: taken
        foreach (var bad in new[] { "<script>alert(1)</script>", new string('x', 41), "   ", "Instructor", "Eve\u202Ereversed" })
            Assert.StartsWith("/join?error=", (await copycat.JoinAsync(bad)).Headers.Location!.ToString());
        var refused = await copycat.Http.GetStringAsync((await copycat.JoinAsync("<b>bold</b>")).Headers.Location!.ToString());
        Assert.DoesNotContain("<b>bold</b>", refused); // what was typed comes back encoded
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", refused);

        Assert.Equal(HttpStatusCode.Redirect, (await ada.JoinAsync("Ada King")).StatusCode); // renamed, same student
        Assert.Contains("Ada King", await ada.Http.GetStringAsync("/join"));
        await StudentAsync("Ada Lovelace"); // the old name is free again
    }

    [Fact]
    public async Task Student_CannotReachAnotherStudentsRun_ByPageOrApi_ButTheInstructorCan()
    {
        var ada = await StudentAsync("Ada");
        var bob = await StudentAsync("Bob");
        var run = await ada.RunAsync(new { dataset = "builtin", images = 16, epochs = 1, device = "cpu" });
        await ada.WaitForAsync(run, "completed");

        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/runs/{run}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.DeleteAsync($"/api/runs/{run}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/runs/{run}/model")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/runs/{run}")).StatusCode);
        Assert.Equal(0, (await bob.Http.GetFromJsonAsync<JsonObject>("/api/runs"))!["total"]!.GetValue<int>());
        Assert.Equal(1, (await ada.Http.GetFromJsonAsync<JsonObject>("/api/runs"))!["total"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await ada.Http.GetAsync($"/runs/{run}")).StatusCode);

        var instructor = await InstructorAsync();
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.GetAsync($"/api/runs/{run}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ada.Http.GetAsync("/api/instructor/queue")).StatusCode);
    }

    [Fact]
    public async Task SharedRun_IsVisibleToAllWhoJoinedIt_AndOneMembersCancelOnlyTakesThemOff()
    {
        var ada = await StudentAsync("Ada");
        var bob = await StudentAsync("Bob");
        var preset = new { dataset = "builtin", images = 500, epochs = 1, device = "cpu", seed = 5, shared = true };
        var run = await ada.RunAsync(preset);
        Assert.Equal(run, await bob.RunAsync(preset));
        Assert.Equal(2, (await bob.Http.GetFromJsonAsync<JsonObject>($"/api/runs/{run}"))!["members"]!.GetValue<int>());

        var leave = await bob.Http.DeleteAsync($"/api/runs/{run}");
        Assert.True((await leave.Content.ReadFromJsonAsync<JsonObject>())!["left"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/runs/{run}")).StatusCode); // off it now
        var still = (await ada.Http.GetFromJsonAsync<JsonObject>($"/api/runs/{run}"))!;
        Assert.Contains(still["status"]!.GetValue<string>(), new[] { "queued", "running" });
        Assert.Equal(1, still["members"]!.GetValue<int>());

        Assert.True((await (await ada.Http.DeleteAsync($"/api/runs/{run}")).Content.ReadFromJsonAsync<JsonObject>())!["cancelling"]!.GetValue<bool>());
        Assert.Equal("cancelled", (await ada.WaitForAsync(run, "cancelled"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task InstructorSignIn_WrongPassphraseIsRefused_AndAttemptsAreRateLimited()
    {
        var guesser = new Visitor(_factory);
        var wrong = await guesser.SignInAsync("not-the-passphrase");
        Assert.Equal("/instructor/sign-in?error=wrong&returnUrl=%2Finstructor", wrong.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.Http.GetAsync("/api/instructor/queue")).StatusCode);
        for (int i = 0; i < 4; i++) await guesser.SignInAsync("guess-" + i);
        var limited = await guesser.SignInAsync(Passphrase); // the 6th attempt in a minute, even the right one
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Contains("Too many sign-in attempts", await limited.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Instructor_ChangesLimitsAndPausesTheQueue_AndStudentsMeetThemWithTheLimitNamed()
    {
        var instructor = await InstructorAsync();
        var ada = await StudentAsync("Ada");
        var limits = (await instructor.Http.GetFromJsonAsync<JsonObject>("/api/instructor/limits"))!;
        limits["maxImagesPerRun"] = 50;
        limits["maxEpochs"] = 2;
        limits["maxQueuedRunsPerOwner"] = 1;
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PutAsJsonAsync("/api/instructor/limits", limits)).StatusCode);

        var tooMany = await ada.Http.PostAsJsonAsync("/api/runs", new { images = 60, epochs = 1, device = "cpu" });
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("MaxImagesPerRun", await tooMany.Content.ReadAsStringAsync());
        Assert.Contains("MaxEpochs", await (await ada.Http.PostAsJsonAsync("/api/runs", new { images = 20, epochs = 3, device = "cpu" })).Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PostAsync("/api/instructor/queue/cpu/pause", null)).StatusCode);
        var run = await ada.RunAsync(new { images = 20, epochs = 1, device = "cpu" });
        var second = await ada.Http.PostAsJsonAsync("/api/runs", new { images = 24, epochs = 1, device = "cpu" });
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Contains("MaxQueuedRunsPerOwner", await second.Content.ReadAsStringAsync());
        await Task.Delay(500);
        Assert.Equal("queued", (await ada.Http.GetFromJsonAsync<JsonObject>($"/api/runs/{run}"))!["status"]!.GetValue<string>()); // paused: it waits
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PostAsync("/api/instructor/queue/cpu/resume", null)).StatusCode);
        Assert.Equal("completed", (await ada.WaitForAsync(run, "completed", "failed"))["status"]!.GetValue<string>());

        var csv = await instructor.Http.GetStringAsync("/api/instructor/results.csv");
        Assert.StartsWith("student,device,dataset,images,epochs,seconds,images_per_second,accuracy,finished_utc,run\r\n", csv);
        Assert.Contains($"Ada,cpu,builtin,20,1,", csv);
        Assert.Equal(HttpStatusCode.BadRequest, (await instructor.Http.PostAsync("/api/instructor/queue/tpu/pause", null)).StatusCode);
    }

    [Fact]
    public async Task ClassComparison_OpensOnlyWhenTheInstructorSaysSo()
    {
        var ada = await StudentAsync("Ada");
        Assert.Contains("has not opened the class comparison", await ada.Http.GetStringAsync("/class"));
        var instructor = await InstructorAsync();
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PostAsync("/api/instructor/comparison?show=true", null)).StatusCode);
        Assert.Contains("comparison-table", await ada.Http.GetStringAsync("/class"));
    }

    [Fact]
    public async Task HashedPassphrase_SignsTheInstructorIn_WithoutThePassphraseInAnyFile()
    {
        using var temp = new TempFolder();
        using var hashed = new LearnDLFactory(temp.Path, ("LearnDL:Class:InstructorPassphraseHash", Identity.Passphrase.Hash("a-hashed-passphrase")));
        var instructor = new Visitor(hashed);
        Assert.Contains("error=wrong", (await instructor.SignInAsync("a-hashed-passphrase-not")).Headers.Location!.ToString());
        Assert.Equal("/instructor", (await instructor.SignInAsync("a-hashed-passphrase")).Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.GetAsync("/api/instructor/queue")).StatusCode);
    }

    [Fact]
    public async Task Forms_WithoutTheirAntiforgeryToken_AreRefused()
    {
        var visitor = new Visitor(_factory);
        var forged = await visitor.Http.PostAsync("/account/join", new FormUrlEncodedContent([KeyValuePair.Create("name", "Mallory")]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        var signIn = await visitor.Http.PostAsync("/account/instructor-sign-in", new FormUrlEncodedContent([KeyValuePair.Create("passphrase", Passphrase)]));
        Assert.Equal(HttpStatusCode.BadRequest, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await visitor.Http.GetAsync("/api/instructor/queue")).StatusCode);
    }

    [Fact]
    public async Task SignIn_NeverSendsAnyoneToAnotherSite()
    {
        var visitor = new Visitor(_factory);
        var response = await visitor.PostFormAsync("/join", "/account/join", ("name", "Carol"), ("returnUrl", "//evil.example/steal"));
        Assert.Equal("/", response.Headers.Location!.ToString());
        Assert.Equal("/", ClassEndpoints.Local("https://evil.example"));
        Assert.Equal("/", ClassEndpoints.Local("/\\evil.example"));
        Assert.Equal("/runs", ClassEndpoints.Local("/runs"));
    }
}
