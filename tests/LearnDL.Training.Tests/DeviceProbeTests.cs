using System.Diagnostics;
using LearnDL.Training.Compute;

namespace LearnDL.Training.Tests;

/// <summary>The probe with stand-ins for nvidia-smi: one that answers, one that hangs like a broken driver.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class DeviceProbeTests
{
    private static string FakeNvidiaSmi(TempFolder temp, string body)
    {
        var path = temp.Combine("nvidia-smi");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public async Task Probe_NvidiaSmiHangs_GivesUpAtTheTimeout_KillsIt_AndSaysSo()
    {
        using var temp = new TempFolder();
        var pidFile = temp.Combine("pid");
        var smi = FakeNvidiaSmi(temp, $"echo $$ > {pidFile}\nexec sleep 60");
        var probe = new DeviceProbe(new RuntimeBuild("cpu"), smi, TimeSpan.FromSeconds(1));

        var clock = Stopwatch.StartNew();
        var report = await probe.ReportAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the probe took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("did not answer within 1 s", report.GpuQueryProblem);
        Assert.Equal("no NVIDIA GPU found", report.GpuSummary);
        var pid = File.ReadAllText(pidFile).Trim();
        for (var deadline = DateTime.UtcNow.AddSeconds(5); Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline;) await Task.Delay(50);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the hung nvidia-smi is still running");
    }

    [Fact]
    public async Task Probe_ReadsGpusFromNvidiaSmi_OnceInTheBackground_AndAgainOnRefresh()
    {
        using var temp = new TempFolder();
        var calls = temp.Combine("calls");
        var smi = FakeNvidiaSmi(temp, $"echo x >> {calls}\necho 'Tesla T4, 580.95.05, 15360 MiB'");
        var probe = new DeviceProbe(new RuntimeBuild("cpu"), smi);
        Assert.Null(probe.Latest);

        var report = await probe.ReportAsync();
        Assert.Same(report, probe.Latest);
        Assert.Equal("Tesla T4 (15360 MiB)", report.GpuSummary);
        Assert.Equal("580.95.05", report.NvidiaDriver);
        Assert.Contains("CPU build", report.Advice[0]); // a GPU, but the CPU build: the article's trap
        await probe.ReportAsync();
        Assert.Single(File.ReadAllLines(calls));

        await probe.RefreshAsync();
        Assert.Equal(2, File.ReadAllLines(calls).Length);
    }
}
