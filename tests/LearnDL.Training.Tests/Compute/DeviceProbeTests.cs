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

/// <summary>
/// ONNX Runtime's own logger writes to the process's stderr (file descriptor 2), not through
/// Console.Error, so these tests point descriptor 2 at a file while the probe runs.
/// </summary>
[Collection("environment")] // alone: nothing else may write to stderr meanwhile
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class DeviceProbeQuietTests
{
    [Fact]
    public async Task Probe_CudaProviderDoesNotLoad_KeepsOnnxRuntimesRawErrorOffTheTerminal_AndNamesTheMissingLibraries()
    {
        // A probe that believes it is the GPU build, on this CPU-only machine: appending the CUDA provider
        // fails as it does on a GPU box without CUDA 13, and ONNX Runtime logs why.
        var probe = new DeviceProbe(new RuntimeBuild("gpu"), "/nonexistent/nvidia-smi");
        using var temp = new TempFolder();
        var (report, stderr) = await NativeStderr.CaptureAsync(temp.Combine("stderr.txt"), probe.ReportAsync);

        Assert.False(report.CudaUsable);
        Assert.DoesNotContain("Failed to load", stderr);
        Assert.DoesNotContain("onnxruntime", stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("libcublasLt.so.13", report.CudaStatus);
    }
}

/// <summary>Points file descriptor 2 at a file while an action runs, then puts it back.</summary>
internal static class NativeStderr
{
    public static async Task<(T Result, string Text)> CaptureAsync<T>(string path, Func<Task<T>> action)
    {
        Console.Error.Flush();
        var saved = Dup(2);
        var file = Open(path, 0x241 /* O_WRONLY | O_CREAT | O_TRUNC */, 420 /* 0644 */);
        Assert.True(saved >= 0 && file >= 0, "could not redirect stderr");
        Dup2(file, 2);
        T result;
        try { result = await action(); }
        finally
        {
            Dup2(saved, 2);
            Close(file);
            Close(saved);
        }
        return (result, File.ReadAllText(path));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "dup")] private static extern int Dup(int fd);
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "dup2")] private static extern int Dup2(int from, int to);
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close")] private static extern int Close(int fd);
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open")] private static extern int Open([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int flags, int mode);
}
