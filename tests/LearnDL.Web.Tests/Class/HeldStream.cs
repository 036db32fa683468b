namespace LearnDL.Web.Tests.Class;

/// <summary>An upload that stops at its first read until released: an import or a classification caught while its bytes arrive.</summary>
internal sealed class HeldStream(byte[] bytes) : MemoryStream(bytes)
{
    private readonly TaskCompletionSource _reading = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Reading => _reading.Task;

    public void Release() => _release.TrySetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _reading.TrySetResult();
        await _release.Task.WaitAsync(cancellationToken);
        return await base.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
