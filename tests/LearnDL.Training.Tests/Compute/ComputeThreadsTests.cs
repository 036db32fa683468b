using LearnDL.Training.Compute;

namespace LearnDL.Training.Tests.Compute;

public class ComputeThreadsTests
{
    [Fact]
    public async Task WorkStartedOnThem_AndEverythingItAwaits_RunsOnTheirThreads_NotThePool()
    {
        using var threads = new ComputeThreads(2, "test compute");
        var seen = new List<(bool Pool, string? Name)>();
        void Note() { lock (seen) seen.Add((Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name)); }
        var channel = System.Threading.Channels.Channel.CreateUnbounded<int>();

        var reader = threads.Start(async () =>
        {
            Note();
            await foreach (var _ in channel.Reader.ReadAllAsync()) Note(); // resumes after each write from the pool
            await Task.Delay(10);
            Note();
        });
        for (int i = 0; i < 5; i++)
        {
            await Task.Run(() => channel.Writer.TryWrite(i));
            await Task.Delay(5);
        }
        channel.Writer.Complete();
        await reader;

        Assert.Equal(7, seen.Count);
        Assert.All(seen, s => Assert.False(s.Pool));
        Assert.All(seen, s => Assert.StartsWith("test compute", s.Name));
    }

    [Fact]
    public async Task SynchronousWork_RunsOffThePool_AndItsFailureReachesTheCaller()
    {
        Assert.False(await ComputeThreads.RunAsync(() => Thread.CurrentThread.IsThreadPoolThread, CancellationToken.None));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => ComputeThreads.RunAsync<int>(() => throw new InvalidOperationException("no"), CancellationToken.None));
        Assert.Equal("no", failure.Message);
    }

    [Fact]
    public async Task WhatStillAwaits_AfterTheyEnd_FinishesOnThePool()
    {
        var late = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task waiting;
        using (var threads = new ComputeThreads(1, "test compute"))
            waiting = threads.Start(async () => await late.Task);
        late.SetResult();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
