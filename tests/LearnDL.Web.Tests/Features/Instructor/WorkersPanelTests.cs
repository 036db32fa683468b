using Bunit;
using LearnDL.Training.Compute;
using LearnDL.Web.Features.Instructor;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.RunService;
using LearnDL.Web.Tests.RunService;
using LearnDL.Web.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;
using MudBlazor.Services;

namespace LearnDL.Web.Tests;

/// <summary>The instructor's machines panel and the launcher's capacity note, over this server alone and over a stand-in register of workers.</summary>
public class WorkersPanelTests : BunitContext, IAsyncLifetime
{
    private readonly QueueFixture _run = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-01T20:00:00Z"));

    public WorkersPanelTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddSingleton<TimeProvider>(_time);
        Services.AddMudServices(o => o.SnackbarConfiguration.ShowTransitionDuration = 0);
    }

    /// <summary>The directory the components read; registered before anything renders, as bUnit requires.</summary>
    private void Use(IWorkerDirectory directory)
    {
        Services.AddSingleton(directory);
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await _run.DisposeAsync();
    }

    [Fact]
    public void Panel_InProcess_ShowsThisServerAndHowToAddMachines_WithoutDrain()
    {
        // As the app wires it without worker machines: the run service's own directory, this server alone.
        Use(_run.Get<IWorkerDirectory>());
        var cut = Render<WorkersPanel>();

        var row = Assert.Single(cut.FindAll("[data-testid=worker-row]"));
        Assert.Equal(InProcessRunExecutor.Local, row.GetAttribute("data-worker"));
        Assert.Equal("live", row.GetAttribute("data-state"));
        Assert.Contains("this server", row.TextContent);
        Assert.Empty(cut.FindAll("[data-testid=worker-drain]"));
        Assert.Contains("A class larger than one machine", cut.Find("[data-testid=workers-how-to-add]").TextContent);
        Assert.Equal("CPU: this server, 1 run at a time", cut.Find("[data-testid=worker-capacity-cpu]").TextContent);
        Assert.Equal("GPU: none on this server", cut.Find("[data-testid=worker-capacity-gpu]").TextContent);
    }

    [Fact]
    public void Panel_Workers_ShowsEachMachinesState_AndDrainAsksThenCallsTheDirectory()
    {
        var workers = new FakeWorkers(Gpu("lab-7", draining: true, secondsSince: 2), Cpu("lab-3", live: false, secondsSince: 40));
        Use(workers);
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<WorkersPanel>();

        var rows = cut.FindAll("[data-testid=worker-row]");
        Assert.Equal(["lab-7", "lab-3"], rows.Select(r => r.GetAttribute("data-worker")));
        Assert.Equal(["draining", "silent"], rows.Select(r => r.GetAttribute("data-state")));
        Assert.Contains("NVIDIA RTX 4090", rows[0].TextContent);
        Assert.Contains("2 s ago", rows[0].TextContent);
        Assert.Contains("40 s ago", rows[1].TextContent);
        Assert.Contains("builtin, fashion-mnist", rows[1].TextContent);
        Assert.Equal("GPU: capacity of the stand-in", cut.Find("[data-testid=worker-capacity-gpu]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=workers-how-to-add]"));
        // The draining one has no button; the other asks first.
        var drain = Assert.Single(cut.FindAll("[data-testid=worker-drain]"));
        Assert.Equal("Drain lab-3", drain.GetAttribute("aria-label"));

        drain.Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Let lab-3 finish", dialogs.Markup));
        dialogs.FindAll("button").First(b => b.TextContent.Trim() == "Cancel").Click();
        dialogs.WaitForAssertion(() => Assert.DoesNotContain("Let lab-3 finish", dialogs.Markup));
        Assert.Empty(workers.Drained);

        cut.Find("[data-testid=worker-drain]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Let lab-3 finish", dialogs.Markup));
        dialogs.FindAll("button").First(b => b.TextContent.Trim() == "Drain").Click();
        cut.WaitForAssertion(() => Assert.Equal(["lab-3"], workers.Drained));
        cut.WaitForAssertion(() => Assert.Contains("lab-3 is draining", cut.Find("[data-testid=workers-message]").TextContent));
    }

    [Fact]
    public async Task Panel_FollowsTheDirectory_OnChangedAndEveryTwoSeconds_AndLetsGoWhenClosed()
    {
        var workers = new FakeWorkers(Cpu("lab-3", secondsSince: 1));
        Use(workers);
        var cut = Render<WorkersPanel>();
        Assert.Equal(1, workers.Subscribers);

        // A machine joins: the directory says so.
        workers.Set(Cpu("lab-3", secondsSince: 1), Gpu("lab-7", secondsSince: 0));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=worker-row]").Count));

        // Nothing is raised for a heartbeat's age: the panel reads again every two seconds.
        workers.Set(Cpu("lab-3", secondsSince: 3), Gpu("lab-7", secondsSince: 2), silent: true);
        _time.Advance(WorkersPanel.RefreshInterval);
        cut.WaitForAssertion(() => Assert.Contains("3 s ago", cut.Find("[data-worker=lab-3]").TextContent));

        await DisposeComponentsAsync();
        Assert.Equal(0, workers.Subscribers);
    }

    [Fact]
    public async Task CapacityNote_ShowsEachDevicesLine_AndRedrawsWhenTheMachinesChange()
    {
        var workers = new FakeWorkers(Cpu("lab-3"));
        Use(workers);
        var cut = Render<CapacityNote>();
        Assert.Equal("CPU: capacity of the stand-in", cut.Find("[data-testid=launcher-capacity] [data-device=cpu]").TextContent);

        workers.GpuLine = "GPU: 1 worker, 1 slot (NVIDIA RTX 4090 on lab-7)";
        workers.Set(Cpu("lab-3"), Gpu("lab-7"));
        cut.WaitForAssertion(() => Assert.Equal(workers.GpuLine, cut.Find("[data-testid=launcher-capacity] [data-device=gpu]").TextContent));

        await DisposeComponentsAsync();
        Assert.Equal(0, workers.Subscribers);
    }

    [Fact]
    public void Heartbeat_WordsTheAge_FromTheRegisterFirst()
    {
        var now = DateTimeOffset.Parse("2026-12-01T20:00:00Z");
        Assert.Equal("4 s ago", WorkerRowText.Heartbeat(Cpu("a", secondsSince: 4.6), now));
        Assert.Equal("2 min ago", WorkerRowText.Heartbeat(Cpu("a", secondsSince: 150), now));
        // No age from the register: this server's clock, never negative.
        Assert.Equal("7 s ago", WorkerRowText.Heartbeat(Cpu("a") with { SecondsSinceHeartbeat = null, LastHeartbeat = now.AddSeconds(-7) }, now));
        Assert.Equal("0 s ago", WorkerRowText.Heartbeat(Cpu("a") with { SecondsSinceHeartbeat = null, LastHeartbeat = now.AddSeconds(5) }, now));
    }

    private static WorkerView Cpu(string name, bool live = true, bool draining = false, double secondsSince = 1) =>
        new(name, "cpu", "cpu", "AMD EPYC", 16, null, ["builtin", "fashion-mnist"], 180.5, 2, 1, draining, live, DateTimeOffset.UtcNow, secondsSince);

    private static WorkerView Gpu(string name, bool live = true, bool draining = false, double secondsSince = 1) =>
        new(name, "gpu", "gpu", "Intel Xeon", 32, "NVIDIA RTX 4090", ["builtin"], 2400, 1, 0, draining, live, DateTimeOffset.UtcNow, secondsSince);

    /// <summary>A register of worker machines the test writes; it counts who listens and what was drained.</summary>
    private sealed class FakeWorkers(params WorkerView[] workers) : IWorkerDirectory
    {
        private volatile IReadOnlyList<WorkerView> _workers = workers;
        private Action? _changed;

        public string Engine => WorkersOptions.Postgres;
        public IReadOnlyList<WorkerView> Workers => _workers;
        public List<string> Drained { get; } = [];
        public int Subscribers => _changed?.GetInvocationList().Length ?? 0;
        public string GpuLine { get; set; } = "GPU: capacity of the stand-in";

        public string CapacityLine(ComputeDevice device) => device == ComputeDevice.Gpu ? GpuLine : "CPU: capacity of the stand-in";

        public WorkersBody Body() => new(Engine, _workers, new Dictionary<string, int>(), null);

        public event Action? Changed { add => _changed += value; remove => _changed -= value; }

        /// <summary>New machines; raises Changed unless <paramref name="silent"/> (only the heartbeats' ages moved).</summary>
        public void Set(WorkerView first, WorkerView? second = null, bool silent = false)
        {
            _workers = second is null ? [first] : [first, second];
            if (!silent) _changed?.Invoke();
        }

        public Task<bool> DrainAsync(string name)
        {
            lock (Drained) Drained.Add(name);
            return Task.FromResult(_workers.Any(w => w.Name == name));
        }
    }
}
