using System.Text.Json;
using System.Text.Json.Serialization;
using LearnDL.Training.Compute;

namespace LearnDL.Training.Runs;

/// <summary>
/// A run to execute, as plain data: what crosses from the app that admits runs to whatever executes
/// them, in this process or on another machine. No paths of the app's machine: where the model is saved
/// is the executor's business.
/// </summary>
/// <param name="Options">The run's options, its device already chosen (Cpu or Gpu), without a save path.</param>
/// <param name="TraceParent">The W3C trace context of the run's span where it was admitted, so a worker's spans join the click's trace.</param>
public sealed record RunSpec(Guid Id, RunOptions Options,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TraceParent = null)
{
    /// <summary>A run to execute on <paramref name="device"/>: on the wire the chosen device is the options' device, "cpu" or "gpu".</summary>
    public static RunSpec For(Guid id, RunOptions options, ComputeDevice device) =>
        new(id, options with { Device = device == ComputeDevice.Gpu ? DeviceRequest.Gpu : DeviceRequest.Cpu });

    /// <summary>The device this run was given where it was admitted (the reason stayed there: the executor that sent it gives it back to the result).</summary>
    public DeviceChoice ChosenDevice() =>
        new(Options.Device == DeviceRequest.Gpu ? ComputeDevice.Gpu : ComputeDevice.Cpu, "Chosen where the run was admitted.");
}

/// <summary>The JSON of runs on the wire: run specifications, run events (with their "type") and results.</summary>
public static class RunWire
{
    /// <summary>PostgreSQL's NOTIFY carries at most 8,000 bytes; every event stays well under it.</summary>
    public const int MaxEventBytes = 8000;

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Json)
        ?? throw new JsonException($"No {typeof(T).Name} in the message.");
}
