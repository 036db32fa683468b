using System.Diagnostics;

namespace LearnDL.Testing;

/// <summary>
/// A real `learndl worker` process (learndl.dll from a build output) with its own data folder: what the
/// worker tests and the load test start, kill -9, or interrupt as Ctrl+C does.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringWriter _log = new();

    public string Name { get; }
    public string DataFolder { get; }

    private WorkerProcess(Process process, string name, string dataFolder)
    {
        (_process, Name, DataFolder) = (process, name, dataFolder);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>A worker probes its device and measures a short run before joining: tens of seconds on a busy shared CI machine.</summary>
    private const int JoinWithinSeconds = 180;

    public string Log { get { lock (_log) return _log.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts `learndl worker` from <paramref name="folder"/> and waits until it says it joined (or exits).</summary>
    /// <param name="launcher">A command the worker runs under (its first word the program), e.g. `ip netns exec NAME`.</param>
    /// <param name="environment">More environment variables of the worker, as they are named.</param>
    public static async Task<WorkerProcess> StartAsync(string folder, string jobs, string name, string device = "cpu", int slots = 1,
        string? dataFolder = null, bool waitUntilJoined = true, IReadOnlyList<string>? launcher = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        dataFolder ??= Directory.CreateTempSubdirectory($"learndl-{name}-").FullName;
        // Ctrl+C as a terminal sends it: a process inherits an ignored SIGINT from its parent (every `cmd &` of a
        // non-interactive shell ignores it, so `dotnet test ... &` does), and .NET keeps it ignored, so the worker
        // would never hear the test's Ctrl+C. env (coreutils) gives it SIGINT's default back, as a terminal's job has.
        string[] command = [.. launcher ?? [], "env", "--default-signal=INT",
            "dotnet", Path.Combine(folder, "learndl.dll"), "worker", "--jobs", jobs, "--name", name, "--device", device, "--slots", slots.ToString()];
        var start = new ProcessStartInfo(command[0], command[1..])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["LearnDL__DataFolder"] = dataFolder;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var worker = new WorkerProcess(Process.Start(start)!, name, dataFolder);
        if (!waitUntilJoined) return worker;
        for (var deadline = DateTime.UtcNow.AddSeconds(JoinWithinSeconds); !worker.Log.Contains($"worker {name} joined");)
        {
            if (worker.HasExited) throw new InvalidOperationException($"Worker {name} exited with code {worker.ExitCode}:\n{worker.Log}");
            if (DateTime.UtcNow > deadline)
            {
                await worker.DisposeAsync(); // not left running behind a failed start
                throw new TimeoutException($"Worker {name} did not join within {JoinWithinSeconds} s:\n{worker.Log}");
            }
            await Task.Delay(100);
        }
        return worker;
    }

    /// <summary>The way a crash or a pulled cable would stop it: no goodbye.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>What Ctrl+C sends (SIGINT): the first drains, the second stops its runs.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", _process.Id.ToString()]))!;
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
