using LearnDL.Web.RunService;
using LearnDL.Web.Workers;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace LearnDL.Web.Features.Instructor;

/// <summary>
/// The machines panel: drawn again when the directory says the machines changed, and every two
/// seconds while open, so the heartbeats' ages move.
/// </summary>
public partial class WorkersPanel : IDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);

    [Inject] public required IWorkerDirectory Directory { get; set; }
    [Inject] public required IDialogService Dialogs { get; set; }
    [Inject] public required TimeProvider Time { get; set; }

    private IReadOnlyList<WorkerView> _workers = [];
    private string? _message;
    private bool _failed, _subscribed;
    private readonly CancellationTokenSource _stop = new();

    private bool IsRemote => Directory.Engine != WorkersOptions.InProcess;

    protected override void OnInitialized() => _workers = Directory.Workers;

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        Directory.Changed += OnDirectoryChanged;
        _subscribed = true;
        _ = TickAsync();
    }

    // Raised on the directory's own thread.
    private void OnDirectoryChanged()
    {
        if (!_stop.IsCancellationRequested) _ = InvokeAsync(Refresh);
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(RefreshInterval, Time);
        try { while (await timer.WaitForNextTickAsync(_stop.Token)) await InvokeAsync(Refresh); }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { } // the circuit went away between two ticks
    }

    private void Refresh()
    {
        if (_stop.IsCancellationRequested) return;
        _workers = Directory.Workers;
        StateHasChanged();
    }

    private async Task DrainAsync(WorkerView worker)
    {
        var runs = worker.Busy == 1 ? "the run it has" : $"the {worker.Busy} runs it has";
        if (await Dialogs.ShowMessageBoxAsync("Drain a worker",
                $"Let {worker.Name} finish {runs} and take no new ones? It leaves the class when they are done; runs for its device go to the other workers, or wait.",
                yesText: "Drain", cancelText: "Cancel") != true) return;
        var drained = await Directory.DrainAsync(worker.Name);
        (_message, _failed) = drained
            ? ($"{worker.Name} is draining: it takes no new runs and leaves when its runs are done.", false)
            : ($"{worker.Name} is no longer in the register.", true);
        Refresh();
    }

    private static Color StateColor(string state) => state switch
    {
        WorkerRowText.Live => Color.Success,
        WorkerRowText.Draining => Color.Warning,
        _ => Color.Error,
    };

    public void Dispose()
    {
        if (_subscribed) Directory.Changed -= OnDirectoryChanged;
        _stop.Cancel();
    }
}

/// <summary>How the machines panel words a machine.</summary>
public static class WorkerRowText
{
    public const string Live = "live", Silent = "silent", Draining = "draining";

    private static bool IsLocal(WorkerView w) => w.Name == InProcessRunExecutor.Local;

    public static string Name(WorkerView w) => IsLocal(w) ? "this server" : w.Name;

    /// <summary>Draining wins over live or silent: the instructor asked for it, and it takes no new runs either way.</summary>
    public static string State(WorkerView w) => w.Draining ? Draining : w.Live ? Live : Silent;

    public static string Datasets(WorkerView w) => IsLocal(w) ? "all on this server" : w.Datasets.Count == 0 ? "none" : string.Join(", ", w.Datasets);

    public static string ImagesPerSecond(WorkerView w) => w.ImagesPerSecond > 0 ? w.ImagesPerSecond.ToString("0.0") : "not measured";

    /// <summary>"3 s ago", "4 min ago": the register's own age when it gives one, else from this server's clock; this server itself has none.</summary>
    public static string Heartbeat(WorkerView w, DateTimeOffset now)
    {
        if (IsLocal(w)) return "this process";
        var seconds = w.SecondsSinceHeartbeat ?? (w.LastHeartbeat is { } at ? (now - at).TotalSeconds : (double?)null);
        if (seconds is not { } s) return "never";
        s = Math.Max(0, s);
        return s < 60 ? $"{(int)s} s ago" : s < 3600 ? $"{(int)(s / 60)} min ago" : $"{(int)(s / 3600)} h ago";
    }
}
