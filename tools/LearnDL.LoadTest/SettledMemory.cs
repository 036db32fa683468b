using System.Diagnostics.Tracing;
using LearnDL.Testing;
using Microsoft.Diagnostics.NETCore.Client;

namespace LearnDL.LoadTest;

/// <summary>
/// The app's resident memory once its garbage is collected: the runtime is asked for a full, blocking collection
/// through its diagnostics port (as dotnet-gcdump does), then the memory is read when it has settled. What a circuit
/// costs is then told apart from garbage that happens not to be collected yet: read raw, the class's memory above the
/// app's own came out negative for 50 students, the warm-up's garbage having been collected only once they came.
/// </summary>
public static class SettledMemory
{
    /// <summary>The runtime's GCHeapCollect keyword: enabling it in a session makes the runtime collect.</summary>
    private const long CollectKeyword = 0x800000;

    /// <summary>
    /// Collects until the memory stops falling (the runtime hands freed regions back a little at each collection): at most
    /// <paramref name="rounds"/> collections a second apart, until two readings are within a megabyte.
    /// </summary>
    public static async Task<double> MegabytesAsync(AppProcess app, int rounds = 10)
    {
        var last = double.MaxValue;
        for (int i = 0; i < rounds; i++)
        {
            await CollectAsync(app.ProcessId);
            await Task.Delay(TimeSpan.FromSeconds(1));
            var now = app.ResidentBytes() / 1e6;
            if (Math.Abs(last - now) < 1) return now;
            last = now;
        }
        return last;
    }

    private static async Task CollectAsync(int processId)
    {
        var client = new DiagnosticsClient(processId);
        using var session = client.StartEventPipeSession(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, CollectKeyword)], requestRundown: false);
        var draining = session.EventStream.CopyToAsync(Stream.Null); // read, so the runtime never waits on a full pipe
        // The collection runs as the session starts; give the runtime a moment, then close it.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        await session.StopAsync(CancellationToken.None);
        await draining;
    }
}
