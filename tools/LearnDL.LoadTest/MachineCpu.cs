using LearnDL.Training.Compute;

namespace LearnDL.LoadTest;

/// <summary>What the machine's cores do, from /proc: how busy they are, and what the browser this program drives has spent.</summary>
internal static class MachineCpu
{
    /// <summary>Below this many busy cores (the app and the open launcher idle), nothing else competes with a run.</summary>
    public const double Quiet = 0.2;

    /// <summary>
    /// Waits until the machine is quiet for two seconds running (other programs would slow the run, not the
    /// watching), at most <paramref name="patience"/>; returns how busy it was at the end.
    /// </summary>
    public static async Task<double> QuietAsync(TimeSpan patience, Action<string>? log)
    {
        var deadline = DateTime.UtcNow + patience;
        var waited = false;
        while (true)
        {
            var busy = await BusyCoresAsync(TimeSpan.FromSeconds(2));
            if (busy <= Quiet || DateTime.UtcNow > deadline) return busy;
            if (!waited) log?.Invoke($"  other programs keep {busy:0.0} cores busy: waiting (at most {patience.TotalMinutes:0} min) for a quiet machine");
            waited = true;
        }
    }

    /// <summary>Cores kept busy over <paramref name="window"/> by everything on the machine (before a run: by others), read as the engine reads them.</summary>
    public static async Task<double> BusyCoresAsync(TimeSpan window)
    {
        var before = CpuReading.Now();
        await Task.Delay(window);
        var share = CpuReading.Now().Since(before);
        return share.ProcessCores + share.OtherCores;
    }

    /// <summary>CPU-seconds all cores have spent busy since boot (/proc/stat, as the engine's <see cref="CpuReading"/> reads it).</summary>
    public static double MachineBusySeconds() => CpuReading.Now().MachineBusySeconds;

    /// <summary>CPU-seconds of the live processes under these roots (this program and its children; the cluster's postmaster and its backends).</summary>
    public static double TreeCpuSeconds(IReadOnlyCollection<int> roots)
    {
        var processes = Processes();
        bool Ours(int pid)
        {
            for (var p = pid; ; p = processes[p].Parent)
            {
                if (roots.Contains(p)) return true;
                if (!processes.ContainsKey(p) || processes[p].Parent == p || p <= 1) return false;
            }
        }
        return processes.Where(kv => Ours(kv.Key)).Sum(kv => kv.Value.Seconds);
    }

    /// <summary>
    /// CPU-seconds of this program's child processes other than the app (Playwright's driver and the
    /// Chromium it started), those still running: pages are measured while they are open.
    /// </summary>
    public static double BrowserSeconds(int appProcessId)
    {
        var processes = Processes();
        var self = Environment.ProcessId;
        bool Ours(int pid)
        {
            for (var p = pid; processes.TryGetValue(p, out var process); p = process.Parent)
            {
                if (p == appProcessId) return false;
                if (process.Parent == self) return true;
            }
            return false;
        }
        return processes.Where(kv => kv.Key != self && Ours(kv.Key)).Sum(kv => kv.Value.Seconds);
    }

    /// <summary>Every live process's parent and CPU-seconds so far (user + system), from /proc.</summary>
    public static IReadOnlyDictionary<int, (int Parent, double Seconds)> Processes()
    {
        var processes = new Dictionary<int, (int, double)>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                processes[pid] = (int.Parse(fields[1]), (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0); // utime, stime in USER_HZ
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { } // it ended meanwhile
        }
        return processes;
    }
}
