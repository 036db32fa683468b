using LearnDL.Testing;

namespace LearnDL.LoadTest;

public sealed record MemoryResult(double StartMegabytes, double PeakMegabytes, double EndMegabytes);

/// <summary>The app's resident memory, sampled in the background (four times a second unless told otherwise).</summary>
public sealed class MemorySampler : IAsyncDisposable
{
    private readonly AppProcess _app;
    private readonly TimeSpan _every;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;

    public MemorySampler(AppProcess app, TimeSpan? every = null)
    {
        _app = app;
        _every = every ?? TimeSpan.FromMilliseconds(250);
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
                await Task.Delay(_every, _stop.Token);
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
