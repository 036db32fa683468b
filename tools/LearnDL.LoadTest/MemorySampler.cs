using LearnDL.Testing;

namespace LearnDL.LoadTest;

public sealed record MemoryResult(double StartMegabytes, double PeakMegabytes, double EndMegabytes);

/// <summary>The app's resident memory, sampled four times a second in the background.</summary>
public sealed class MemorySampler : IAsyncDisposable
{
    private readonly AppProcess _app;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;

    public MemorySampler(AppProcess app)
    {
        _app = app;
        Start = app.ResidentBytes();
        _peak = Start;
        _loop = LoopAsync();
    }

    public long Start { get; }

    public MemoryResult Result(long end) => new(Start / 1e6, Math.Max(_peak, end) / 1e6, end / 1e6);

    private async Task LoopAsync()
    {
        try
        {
            while (true)
            {
                _peak = Math.Max(_peak, _app.ResidentBytes());
                await Task.Delay(250, _stop.Token);
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
    }
}
