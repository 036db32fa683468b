namespace LearnDL.Training.Compute;

/// <summary>The processor a run asks for: a device, or Auto to let the engine choose.</summary>
public enum DeviceRequest { Cpu, Gpu, Auto }

/// <summary>The processor a run actually used.</summary>
public enum ComputeDevice { Cpu, Gpu }

/// <summary>Which device a run got and, in plain words, why.</summary>
public sealed record DeviceChoice(ComputeDevice Device, string Reason);

/// <summary>The requested device cannot be used; the message says what is missing and how to fix it.</summary>
public sealed class DeviceUnavailableException(string message) : Exception(message);

public static class DeviceNames
{
    public static string ToId(this ComputeDevice device) => device == ComputeDevice.Gpu ? "gpu" : "cpu";

    /// <summary>"cpu", "gpu" or "auto", as runs store and the API shows the device asked for.</summary>
    public static string ToId(this DeviceRequest request) => request switch { DeviceRequest.Gpu => "gpu", DeviceRequest.Auto => "auto", _ => "cpu" };

    public static bool TryParse(string? text, out DeviceRequest request)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "cpu": request = DeviceRequest.Cpu; return true;
            case "gpu" or "cuda": request = DeviceRequest.Gpu; return true;
            case "auto": request = DeviceRequest.Auto; return true;
            default: request = DeviceRequest.Auto; return false;
        }
    }
}
