using Bunit;
using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;
using LearnDL.Web.Tests.RunService;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace LearnDL.Web.Tests;

/// <summary>"Run it again" for a run its worker (or the server) cut off: the same request, queued for whoever presses it.</summary>
public class RunAgainTests : IAsyncLifetime
{
    private readonly QueueFixture _run = new(o => o.MaxQueuedRunsPerOwner = 1);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _run.DisposeAsync();

    private static RunRecord CutOff(RunStatus status = RunStatus.Interrupted, string owner = "owner-ada") => new()
    {
        Id = Guid.NewGuid(), CreatedAt = DateTimeOffset.UtcNow.AddMinutes(-5), Status = status, OwnerId = owner,
        Dataset = "builtin", Images = 24, Epochs = 2, DeviceRequested = "auto", Device = "cpu", Seed = 7, Shared = true,
        Worker = "lab-7", Error = "Worker lab-7 stopped answering during this run. Run it again.",
    };

    [Theory]
    [InlineData(RunStatus.Interrupted, true)]
    [InlineData(RunStatus.Failed, true)]
    [InlineData(RunStatus.Completed, false)]
    [InlineData(RunStatus.Cancelled, false)]
    [InlineData(RunStatus.Running, false)]
    [InlineData(RunStatus.Queued, false)]
    public void Offers_OnlyRunsCutOffOrFailed(RunStatus status, bool offered) => Assert.Equal(offered, RunAgain.Offers(status));

    [Fact]
    public async Task SubmitAsync_InterruptedRun_QueuesTheSameRequestForThePresser()
    {
        var old = CutOff();
        var grace = QueueFixture.Owner("grace");

        var admission = await new RunAgain(_run.Queue).SubmitAsync(old, grace);

        var again = await _run.Store.GetAsync(admission.RunId);
        Assert.NotNull(again);
        Assert.NotEqual(old.Id, again.Id);
        Assert.Equal(grace.Id, again.OwnerId);
        Assert.Equal(RunStatus.Queued, again.Status);
        Assert.Equal((old.Dataset, old.Images, old.Epochs, old.DeviceRequested, old.Seed, old.Shared),
            (again.Dataset, again.Images, again.Epochs, again.DeviceRequested, again.Seed, again.Shared));
        Assert.Null(again.Worker);
    }

    [Fact]
    public async Task SubmitAsync_OverThePersonalLimit_IsRefusedAsTheLauncherIs()
    {
        var grace = QueueFixture.Owner("grace");
        await _run.Queue.SubmitAsync(QueueFixture.Request(seed: 3), grace);

        var refused = await Assert.ThrowsAsync<RunRejectedException>(() => new RunAgain(_run.Queue).SubmitAsync(CutOff(), grace));
        Assert.True(refused.LimitReached);
    }

    [Fact]
    public async Task RunPlace_InterruptedRun_NamesTheWorker_AndRunItAgainOpensTheNewRun()
    {
        await using var page = new PageContext(_run);
        var old = CutOff(owner: page.Me.Id);
        old.Shared = false; // a shared one pressed twice would join the copy queued by the first press
        await _run.Store.AddAsync(old);
        var view = RunView.From((await _run.Store.GetAsync(old.Id))!, live: null);

        var cut = page.Render<RunPlace>(p => p.Add(c => c.RunId, old.Id).Add(c => c.View, view));
        Assert.Equal("Ran on worker lab-7", cut.Find("[data-testid=run-worker]").TextContent.Trim());

        cut.Find("[data-testid=run-again]").Click();
        var navigation = page.Services.GetRequiredService<NavigationManager>();
        cut.WaitForAssertion(() => Assert.Matches("/runs/[0-9a-f-]{36}$", navigation.Uri));
        var id = Guid.Parse(navigation.Uri[^36..]);
        Assert.NotEqual(old.Id, id);
        var again = await _run.Store.GetAsync(id);
        Assert.Equal((page.Me.Id, "builtin", 24, 2, "auto", 7), (again!.OwnerId, again.Dataset, again.Images, again.Epochs, again.DeviceRequested, again.Seed));

        // A second press is over this owner's limit (one at a time here): said as the launcher says it.
        cut.Find("[data-testid=run-again]").Click();
        cut.WaitForAssertion(() => Assert.Contains("runs waiting or running", cut.Find("[data-testid=run-again-errors]").TextContent));
    }

    [Fact]
    public async Task RunPlace_CompletedOrRunningHere_NoRunAgain_AndTheWorkerNamedLive()
    {
        await using var page = new PageContext(_run);
        var running = CutOff(RunStatus.Running, owner: page.Me.Id);
        running.Worker = null;
        await _run.Store.AddAsync(running);
        _run.Runs.Queued(running.Id, new LearnDL.Training.Compute.DeviceChoice(LearnDL.Training.Compute.ComputeDevice.Cpu, "The CPU was requested."), 1);
        await _run.Runs.StartAsync(running.Id, new LearnDL.Training.Compute.DeviceChoice(LearnDL.Training.Compute.ComputeDevice.Cpu, "The CPU was requested."));
        var view = RunView.From((await _run.Store.GetAsync(running.Id))!, _run.Runs.Snapshot(running.Id));

        var cut = page.Render<RunPlace>(p => p.Add(c => c.RunId, running.Id).Add(c => c.View, view));
        Assert.Empty(cut.FindAll("[data-testid=run-worker]"));
        Assert.Empty(cut.FindAll("[data-testid=run-again]"));

        // The machine is named after the start, with no change of state the page hears of.
        await _run.Runs.RanOnAsync(running.Id, InProcessRunExecutor.Local);
        cut.WaitForAssertion(() => Assert.Equal("Runs on this server", cut.Find("[data-testid=run-worker]").TextContent.Trim()));
        Assert.Empty(cut.FindAll("[data-testid=run-again]"));
    }

    [Fact]
    public async Task RunPage_ReadsTheRunOnce_AndItsPlaceNamesTheMachineFromThePagesOwnWatch()
    {
        await using var page = new PageContext(_run);
        var running = CutOff(RunStatus.Running, owner: page.Me.Id);
        running.Worker = null;
        await _run.Store.AddAsync(running);
        var cpu = new DeviceChoice(ComputeDevice.Cpu, "The CPU was requested.");
        _run.Runs.Queued(running.Id, cpu, 1);
        await _run.Runs.StartAsync(running.Id, cpu);

        var cut = page.Render<RunPage>(p => p.Add(c => c.Id, running.Id));
        cut.WaitForAssertion(() => Assert.Contains("Running", cut.Find("[data-status]").GetAttribute("data-status")));
        Assert.Empty(cut.FindAll("[data-testid=run-worker]"));
        Assert.Equal(1, _run.Updates.WatcherCount(running.Id)); // the live view's watch serves the whole page, its place included

        await _run.Runs.RanOnAsync(running.Id, InProcessRunExecutor.Local);
        cut.WaitForAssertion(() => Assert.Equal("Runs on this server", cut.Find("[data-testid=run-worker]").TextContent.Trim()));
    }

    /// <summary>A page's services over the fixture's run service: a personal-mode learner, the app's own rules.</summary>
    private sealed class PageContext : BunitContext
    {
        public RunOwner Me { get; } = RunOwner.NewLearner();

        public PageContext(QueueFixture run)
        {
            JSInterop.Mode = JSRuntimeMode.Loose;
            Services.AddSingleton(run.Get<IOptions<LearnDLOptions>>());
            Services.AddSingleton(run.Store);
            Services.AddSingleton<IRunMembership>(run.Store);
            Services.AddSingleton(run.Runs);
            Services.AddSingleton(run.Updates);
            Services.AddSingleton(run.Get<RunViews>());
            Services.AddSingleton(TimeProvider.System);
            Services.AddSingleton<IRunQueue>(run.Queue);
            Services.AddSingleton<RunAgain>();
            AddAuthorization().SetAuthorized(Me.Name).SetClaims(Me.ToPrincipal("test").Claims.ToArray());
            Services.AddAccessRules();
            Services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationService, Microsoft.AspNetCore.Authorization.DefaultAuthorizationService>();
            Services.AddScoped<CurrentOwner>();
            Services.AddMudServices();
            Renderer.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        }
    }
}
