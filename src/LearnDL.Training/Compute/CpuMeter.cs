using System.Diagnostics;

namespace LearnDL.Training.Compute;

/// <summary>
/// How the machine's cores were spent over a stretch of time: by this process, and by everything
/// else (a browser drawing charts, another run, a compiler). Timings only mean something when the
/// run had the cores to itself, so runs report this beside their images per second.
/// </summary>
public sealed record CpuShare(int Cores, double WallSeconds, double ProcessCpuSeconds, double OtherCpuSeconds)
{
    /// <summary>Cores this process kept busy on average (0 to <see cref="Cores"/>).</summary>
    public double ProcessCores => WallSeconds > 0 ? ProcessCpuSeconds / WallSeconds : 0;

    /// <summary>Cores other programs kept busy on average.</summary>
    public double OtherCores => WallSeconds > 0 ? OtherCpuSeconds / WallSeconds : 0;

    /// <summary>Share of the machine that other programs took, 0-1.</summary>
    public double OtherShare => Cores > 0 ? Math.Clamp(OtherCores / Cores, 0, 1) : 0;

    public string Describe() =>
        $"This process kept {ProcessCores:0.0} of {Cores} cores busy; other programs {OtherCores:0.0}" +
        (OtherShare >= 0.15 ? " (they competed for the CPU, so this timing is slower than the machine can do)." : ".");
}

/// <summary>A reading of the CPU time counters; two readings give a <see cref="CpuShare"/>.</summary>
public readonly record struct CpuReading(long Timestamp, double ProcessCpuSeconds, double MachineBusySeconds)
{
    private const double TicksPerSecond = 100; // USER_HZ: /proc/stat counts in hundredths of a second on Linux

    /// <summary>Reads the counters now. On systems without /proc, only this process's time is known.</summary>
    public static CpuReading Now()
    {
        double process;
        using (var self = Process.GetCurrentProcess()) process = self.TotalProcessorTime.TotalSeconds;
        return new(Stopwatch.GetTimestamp(), process, MachineBusy());
    }

    /// <summary>How the cores were spent between <paramref name="start"/> and this reading.</summary>
    public CpuShare Since(CpuReading start)
    {
        var wall = Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds;
        var process = Math.Max(0, ProcessCpuSeconds - start.ProcessCpuSeconds);
        var busy = MachineBusySeconds - start.MachineBusySeconds;
        // Counters tick at different rates; never report other programs below zero.
        var other = double.IsNaN(busy) ? 0 : Math.Max(0, busy - process);
        return new(Environment.ProcessorCount, wall, process, other);
    }

    private static double MachineBusy()
    {
        try
        {
            // cpu  user nice system idle iowait irq softirq steal ...
            var line = File.ReadLines("/proc/stat").First();
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            long busy = fields[0] + fields[1] + fields[2] + (fields.Length > 5 ? fields[5] + fields[6] : 0) + (fields.Length > 7 ? fields[7] : 0);
            return busy / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return double.NaN;
        }
    }
}
