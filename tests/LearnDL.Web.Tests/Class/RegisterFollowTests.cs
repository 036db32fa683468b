using LearnDL.Training.Runs;
using System.Net;
using System.Net.Http.Json;
using LearnDL.Training.Compute;
using LearnDL.Web.Data;
using LearnDL.Web.Datasets;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LearnDL.Web.Tests.Class;

/// <summary>
/// The review's fourth finding: a removed, renamed or merged student's open tab kept working as before inside its
/// circuit. Each reproduction, against the whole app: the circuit's sign-in follows the register, and the services
/// a tab reaches (the run queue, the importer, lesson progress) refuse a student the register no longer holds.
/// </summary>
public class RegisterFollowTests : ClassAppTests
{
    private T Service<T>() where T : notnull => _factory.Services.GetRequiredService<T>();

    /// <summary>A student who joined through the app, as their open tab's circuit holds them.</summary>
    private async Task<(Visitor Visitor, RunOwner Tab)> JoinedAsync(string name)
    {
        var visitor = await StudentAsync(name);
        var row = (await Service<StudentRegistry>().ListAsync()).Single(s => s.Name == name);
        return (visitor, new RunOwner(row.Id, row.Name, OwnerRole.Student));
    }

    /// <summary>A circuit's sign-in as the framework sets it when the tab connects.</summary>
    private static (AuthenticationStateProvider State, CurrentOwner Owner) Circuit(IServiceScope scope, RunOwner student)
    {
        var state = scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        ((IHostEnvironmentAuthenticationStateProvider)state).SetAuthenticationState(
            Task.FromResult(new AuthenticationState(student.ToPrincipal(OwnerCookie.Scheme))));
        return (state, scope.ServiceProvider.GetRequiredService<CurrentOwner>());
    }

    private static Task<AuthenticationState> NextStateAsync(AuthenticationStateProvider provider)
    {
        var next = new TaskCompletionSource<AuthenticationState>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.AuthenticationStateChanged += async state => next.TrySetResult(await state);
        return next.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RemovedOrMergedStudent_TheirOpenTabStartsNoRun_UploadsNothing_AndRecordsNoLesson(bool merged)
    {
        var instructor = await InstructorAsync();
        var (ada, tab) = await JoinedAsync("Ada");
        var (_, other) = await JoinedAsync("Ada again");
        var gone = merged
            ? await instructor.Http.PostAsync($"/api/instructor/students/{tab.Id}/merge-into/{other.Id}", null)
            : await instructor.Http.DeleteAsync($"/api/instructor/students/{tab.Id}");
        Assert.Equal(HttpStatusCode.NoContent, gone.StatusCode);

        // What her open tab calls, with the sign-in its circuit started with.
        var run = await Assert.ThrowsAsync<RunRejectedException>(() => Service<IRunQueue>().SubmitAsync(new RunSettings { Images = 8, Epochs = 1, Device = DeviceRequest.Cpu }, tab));
        Assert.Contains(Access.NoLongerInClass, run.Message);
        var zip = Zips.Good();
        var upload = await Service<UploadedDatasets>().ImportAsync(new MemoryStream(zip), zip.Length, "Ada shapes", tab);
        Assert.False(upload.Accepted);
        Assert.Equal("Refused: " + Access.NoLongerInClass, upload.Message);
        var lesson = Service<LessonCatalog>().All.First(l => l.Questions.Any());
        var progress = new LessonProgress(new StudentProgressStore(Service<IDbContextFactory<LearnDbContext>>(), tab.Id),
            Service<LessonActivityFor>()(() => Task.FromResult<RunOwner?>(tab)));
        await Assert.ThrowsAsync<NotInClassException>(() => progress.OpenedAsync(lesson));
        await Assert.ThrowsAsync<NotInClassException>(() => progress.AnswerAsync(lesson, lesson.Questions.First(), 0));

        // Nothing anywhere under her old id; her browser's own requests are no one's.
        await using (var db = await Service<IDbContextFactory<LearnDbContext>>().CreateDbContextAsync())
        {
            Assert.False(await db.Runs.AnyAsync(r => r.OwnerId == tab.Id));
            Assert.False(await db.UploadedDatasets.AnyAsync(d => d.OwnerId == tab.Id));
            Assert.False(await db.Progress.AnyAsync(p => p.OwnerId == tab.Id));
            Assert.False(await db.LearningEvents.AnyAsync(e => e.StudentId == tab.Id));
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await ada.Http.PostAsJsonAsync("/api/runs", new { images = 8, epochs = 1, device = "cpu" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ada.Http.PostAsJsonAsync($"/api/lessons/{lesson.Slug}/questions/{lesson.Questions.First().Id}/answers", new { answer = 0 })).StatusCode);
    }

    [Fact]
    public async Task OpenTabsSignIn_FollowsARename_AndEndsWhenTheStudentIsMergedAway()
    {
        var instructor = await InstructorAsync();
        var (_, ada) = await JoinedAsync("Ada");
        var (_, other) = await JoinedAsync("Ada again");
        using var scope = _factory.Services.CreateScope();
        var (state, owner) = Circuit(scope, ada);

        var renamed = NextStateAsync(state);
        Assert.Equal(HttpStatusCode.NoContent, (await instructor.Http.PutAsJsonAsync($"/api/instructor/students/{ada.Id}/name", new { name = "Ada Lovelace" })).StatusCode);
        Assert.Equal("Ada Lovelace", RunOwner.From((await renamed).User)!.Name);
        Assert.Equal(new RunOwner(ada.Id, "Ada Lovelace", OwnerRole.Student), await owner.GetAsync());

        var merged = NextStateAsync(state);
        Assert.Equal(HttpStatusCode.NoContent, (await instructor.Http.PostAsync($"/api/instructor/students/{ada.Id}/merge-into/{other.Id}", null)).StatusCode);
        Assert.Null(RunOwner.From((await merged).User));
        Assert.Null(await owner.FindAsync());
        await Assert.ThrowsAsync<NotInClassException>(owner.GetAsync);
    }

    [Fact]
    public async Task OpenTabsSignIn_IsReadAgainFromTheRegister_WithinTheRecheckInterval()
    {
        var (_, ada) = await JoinedAsync("Ada");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var provider = new ClassRegisterAuthenticationState(Service<StudentRegistry>(), time);
        provider.SetAuthenticationState(Task.FromResult(new AuthenticationState(ada.ToPrincipal(OwnerCookie.Scheme))));
        // Gone by a way that announces nothing (another tool on the database): only the periodic check can see it.
        await using (var db = await Service<IDbContextFactory<LearnDbContext>>().CreateDbContextAsync())
            await db.Students.Where(s => s.Id == ada.Id).ExecuteDeleteAsync();
        var next = NextStateAsync(provider);
        time.Advance(ClassRegisterAuthenticationState.RecheckEvery);
        Assert.Null(RunOwner.From((await next).User));
        Assert.True(ClassRegisterAuthenticationState.RecheckEvery <= TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task RenamedStudent_TheirRunsShowTheNewName_InTheQueueAndItsApi()
    {
        var instructor = await InstructorAsync();
        var (ada, tab) = await JoinedAsync("Ada");
        Assert.Equal(HttpStatusCode.OK, (await instructor.Http.PostAsync("/api/instructor/queue/cpu/pause", null)).StatusCode);
        await ada.RunAsync(new { images = 12, epochs = 1, device = "cpu" });

        Assert.Equal(HttpStatusCode.NoContent, (await instructor.Http.PutAsJsonAsync($"/api/instructor/students/{tab.Id}/name", new { name = "Ada Lovelace" })).StatusCode);
        // And one more from a tab that still holds the old name.
        await Service<IRunQueue>().SubmitAsync(new RunSettings { Images = 16, Epochs = 1, Device = DeviceRequest.Cpu }, tab);

        var waiting = Service<IRunQueue>().View().Lanes.Single(l => l.Device == ComputeDevice.Cpu).Waiting;
        Assert.Equal(["Ada Lovelace", "Ada Lovelace"], waiting.Select(r => r.OwnerName));
        var api = await instructor.Http.GetStringAsync("/api/instructor/queue");
        Assert.Contains("\"ownerName\":\"Ada Lovelace\"", api);
        Assert.DoesNotContain("\"ownerName\":\"Ada\"", api);
    }
}
