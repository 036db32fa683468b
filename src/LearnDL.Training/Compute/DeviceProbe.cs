using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Microsoft.ML.OnnxRuntime;

namespace LearnDL.Training.Compute;

/// <summary>
/// Looks at the CPU, memory, NVIDIA driver and GPUs, and whether ONNX Runtime's CUDA provider really
/// loads. GetAvailableProviders lists what was compiled in, not what works, so only appending the
/// provider to a session tells the truth.
/// </summary>
public sealed class DeviceProbe(RuntimeBuild build, string nvidiaSmi = "nvidia-smi", TimeSpan? nvidiaSmiTimeout = null)
{
    /// <summary>Libraries the CUDA provider of ONNX Runtime 1.31 loads, with what installs each.</summary>
    internal static readonly (string Library, string InstalledBy)[] CudaLibraries =
    [
        ("libcuda.so.1", "the NVIDIA driver"),
        ("libcudart.so.13", "the CUDA 13 runtime"),
        ("libcublas.so.13", "CUDA 13 cuBLAS"),
        ("libcublasLt.so.13", "CUDA 13 cuBLAS"),
        ("libcurand.so.10", "CUDA 13 cuRAND"),
        ("libcudnn.so.9", "cuDNN 9"),
    ];

    private readonly TimeSpan _smiTimeout = nvidiaSmiTimeout ?? TimeSpan.FromSeconds(5);
    private readonly Lock _lock = new();
    private Task<DeviceReport>? _current;

    public DeviceProbe() : this(RuntimeBuild.Current) { }

    public RuntimeBuild Build => build;

    /// <summary>The report once the probe has finished, or null while it runs.</summary>
    public DeviceReport? Latest
    {
        get { lock (_lock) return _current is { IsCompletedSuccessfully: true } t ? t.Result : null; }
    }

    /// <summary>
    /// The report, probed once (loading CUDA is slow and rarely changes) on a background thread, so
    /// no caller's thread waits on a driver; <see cref="RefreshAsync"/> probes again.
    /// </summary>
    public Task<DeviceReport> ReportAsync()
    {
        lock (_lock) return _current ??= Task.Run(ProbeAsync);
    }

    /// <summary>Probes again (after installing a driver, say); the previous report stays until this one is ready.</summary>
    public async Task<DeviceReport> RefreshAsync()
    {
        var report = await Task.Run(ProbeAsync);
        lock (_lock) _current = Task.FromResult(report);
        return report;
    }

    /// <summary>The report, waiting for the probe if it is still running (for the command line).</summary>
    public DeviceReport Report => ReportAsync().GetAwaiter().GetResult();

    /// <summary>Why a run could not use the GPU here, or null when it can (waits for the probe if needed).</summary>
    public async Task<string?> WhyNotGpuAsync()
    {
        if (build.IsGpu) await ReportAsync();
        try { Choose(DeviceRequest.Gpu); return null; }
        catch (DeviceUnavailableException e) { return e.Message; }
    }

    /// <summary>A device a run was given, checked: the CPU always works; the GPU fails as <see cref="Choose"/> says why, before any work.</summary>
    public void Require(ComputeDevice device)
    {
        if (device == ComputeDevice.Gpu) Choose(DeviceRequest.Gpu);
    }

    /// <summary>
    /// Turns a request into the device a run will use, or fails before any work is done, with the reason in words
    /// (<see cref="DeviceMessages"/>; the worker machines' lines are the remote executor's).
    /// </summary>
    public DeviceChoice Choose(DeviceRequest request)
    {
        var report = request == DeviceRequest.Cpu || !build.IsGpu ? null : Report;
        var decision = Decide(request, build.IsGpu, report?.CudaUsable ?? false);
        var reason = DeviceMessages.Reason(decision.Reason, report);
        return decision.Device is { } device ? new(device, reason) : throw new DeviceUnavailableException(reason);
    }

    /// <summary>The device a request gets on a machine of this build whose CUDA provider does or does not load, and why.</summary>
    public static DeviceDecision Decide(DeviceRequest request, bool gpuBuild, bool cudaUsable) => request switch
    {
        DeviceRequest.Cpu => new(ComputeDevice.Cpu, DeviceReason.CpuRequested),
        DeviceRequest.Gpu when !gpuBuild => new(null, DeviceReason.GpuRequestedCpuBuild),
        DeviceRequest.Gpu when !cudaUsable => new(null, DeviceReason.GpuRequestedCudaUnusable),
        DeviceRequest.Gpu => new(ComputeDevice.Gpu, DeviceReason.GpuRequestedCudaLoaded),
        _ when gpuBuild && cudaUsable => new(ComputeDevice.Gpu, DeviceReason.AutoChoseGpu),
        _ => new(ComputeDevice.Cpu, gpuBuild ? DeviceReason.AutoFellBackCudaUnusable : DeviceReason.AutoFellBackCpuBuild),
    };

    private async Task<DeviceReport> ProbeAsync()
    {
        var started = DateTimeOffset.UtcNow;
        var (driver, gpus, gpuQueryProblem) = await ReadNvidiaAsync();
        var providers = SafeProviders();
        var missing = new List<string>();
        bool usable = false;
        string status;
        if (!build.IsGpu)
            status = DeviceMessages.CpuBuildStatus;
        else
        {
            foreach (var (lib, by) in CudaLibraries)
                if (!CanLoad(lib)) missing.Add($"{lib} ({by})");
            (usable, var loadError) = TryLoadCudaProvider();
            status = usable ? DeviceMessages.CudaLoaded
                : missing.Count > 0 ? DeviceMessages.CudaMissing(missing) : DeviceMessages.CudaDidNotLoad(loadError);
        }
        return new DeviceReport
        {
            CpuModel = ReadCpuModel(),
            LogicalCores = Environment.ProcessorCount,
            VectorWidthBits = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0,
            MemoryTotalBytes = ReadMemInfo("MemTotal:"),
            MemoryAvailableBytes = ReadMemInfo("MemAvailable:"),
            OperatingSystem = RuntimeInformation.OSDescription,
            NvidiaDriver = driver,
            Gpus = gpus,
            RuntimeBuild = build.Id,
            RuntimeBuildDescription = build.Description,
            ProvidersCompiledIn = providers,
            CudaUsable = usable,
            CudaStatus = status,
            MissingLibraries = missing,
            Advice = DeviceMessages.Advice(build.IsGpu, usable, gpus.Count > 0, missing),
            GpuQueryProblem = gpuQueryProblem,
            ProbedAt = started,
        };
    }

    /// <summary>
    /// Appends the CUDA provider to learn whether it loads. When it does not, ONNX Runtime's own logger
    /// prints its raw error ("Failed to load library ...") in red on the terminal before LearnDL's
    /// report; the probe's status says the same in words, so ONNX Runtime is kept quiet (fatal only) for
    /// this one call and its error is kept in the report instead.
    /// </summary>
    private static (bool Ok, string Error) TryLoadCudaProvider()
    {
        var env = OrtEnv.Instance();
        var level = env.EnvLogLevel;
        env.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
        try
        {
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(0);
            return (true, "");
        }
        catch (Exception e)
        {
            return (false, e.Message.Split('\n')[0].Trim());
        }
        finally
        {
            env.EnvLogLevel = level;
        }
    }

    private static IReadOnlyList<string> SafeProviders()
    {
        try { return OrtEnv.Instance().GetAvailableProviders(); }
        catch (Exception e) { return [$"(ONNX Runtime did not load: {e.Message})"]; }
    }

    private static bool CanLoad(string library)
    {
        if (!NativeLibrary.TryLoad(library, out var handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }

    private static string ReadCpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static long ReadMemInfo(string key)
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            if (line is not null && long.TryParse(line[key.Length..].Replace("kB", "").Trim(), out var kb)) return kb * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    private async Task<(string? Driver, IReadOnlyList<string> Gpus, string? Problem)> ReadNvidiaAsync()
    {
        var (smi, problem) = await RunNvidiaSmiAsync();
        if (smi.Count > 0)
        {
            var gpus = smi.Select(l => l.Split(',', StringSplitOptions.TrimEntries))
                .Where(p => p.Length >= 3).Select(p => $"{p[0]} ({p[2]})").ToList();
            var driver = smi[0].Split(',', StringSplitOptions.TrimEntries).ElementAtOrDefault(1);
            return (driver, gpus, null);
        }
        try
        {
            string? driver = File.Exists("/proc/driver/nvidia/version")
                ? File.ReadLines("/proc/driver/nvidia/version").FirstOrDefault()?.Trim() : null;
            var gpus = Directory.Exists("/proc/driver/nvidia/gpus")
                ? Directory.GetDirectories("/proc/driver/nvidia/gpus")
                    .Select(d => File.ReadLines(Path.Combine(d, "information")).FirstOrDefault(l => l.StartsWith("Model:"))?[6..].Trim() ?? "NVIDIA GPU")
                    .ToList()
                : [];
            return (driver, gpus, problem);
        }
        catch (IOException) { return (null, [], problem); }
        catch (UnauthorizedAccessException) { return (null, [], problem); }
    }

    /// <summary>
    /// Asks nvidia-smi for the GPUs. A hung driver makes nvidia-smi hang too, so the output is read
    /// asynchronously and the process is killed when it is late, instead of reading to the end first.
    /// </summary>
    private async Task<(List<string> Lines, string? Problem)> RunNvidiaSmiAsync()
    {
        Process? process;
        try
        {
            var psi = new ProcessStartInfo(nvidiaSmi, "--query-gpu=name,driver_version,memory.total --format=csv,noheader")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            process = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception) { return ([], null); } // nvidia-smi not installed
        if (process is null) return ([], null);
        using (process)
        {
            using var late = new CancellationTokenSource(_smiTimeout);
            try
            {
                var output = process.StandardOutput.ReadToEndAsync(late.Token);
                _ = process.StandardError.ReadToEndAsync(late.Token);
                await process.WaitForExitAsync(late.Token);
                var text = await output.WaitAsync(late.Token);
                if (process.ExitCode != 0) return ([], $"nvidia-smi exited with code {process.ExitCode}.");
                return (text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(), null);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return ([], $"nvidia-smi did not answer within {_smiTimeout.TotalSeconds:0.#} s (a hung driver?) and was stopped.");
            }
        }
    }
}
