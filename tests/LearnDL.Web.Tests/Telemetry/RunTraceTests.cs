using System.Diagnostics;
using LearnDL.Testing;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Runs;
using LearnDL.Workers;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace LearnDL.Web.Tests.Telemetry;

/// <summary>
/// One trace per run, recorded with OpenTelemetry's in-memory exporter: from the POST that asked for it, the run's
/// span with its wait in the queue, and the engine's stages, in this process or on a worker reached through Hangfire.
/// </summary>
public sealed class RunTraceTests : IDisposable
{
    private static readonly string[] Stages = ["prepare", "featurize", "train", "evaluate"];
    private readonly List<Activity> _spans = [];
    private readonly TracerProvider _tracing;
    private readonly TempFolder _temp = new();

    public RunTraceTests() => _tracing = Sdk.CreateTracerProviderBuilder()
        .AddSource(RunTracing.SourceName, "Microsoft.AspNetCore")
        .AddInMemoryExporter(_spans)
        .Build();

    public void Dispose()
    {
        _tracing.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task ARunInThisProcess_IsOneTrace_FromThePost_ThroughTheQueue_ToItsStages()
    {
        using var factory = new LearnDLFactory(_temp.Path);
        using var http = factory.CreateClient();
        var id = await http.SubmitAsync(new { dataset = BuiltinDataset.Name, images = 24, epochs = 1, seed = 5 });
        Assert.Equal("completed", (await http.WaitForRunAsync(id, TimeSpan.FromSeconds(120)))["status"]!.GetValue<string>());

        var run = await RunSpanAsync(id);
        AssertUnderTheRequest(run);
        Assert.Equal("completed", run.GetTagItem("learndl.run.outcome"));
        AssertStagesInOrder(run, queued: Under(run, "queued"));
    }

    [Fact]
    public async Task ARunOnAWorker_ThroughHangfire_GoesOnInTheClicksTrace()
    {
        await using var jobs = await PostgresCluster.StartAsync();
        using var drain = new CancellationTokenSource();
        using var stop = new CancellationTokenSource();
        // The real `learndl worker`, in this process so that the in-memory exporter sees its spans too.
        var worker = Task.Run(() => WorkerHost.RunAsync(new WorkerSettings(jobs.ConnectionString, DeviceRequest.Cpu, 1, "trace-lab"),
            new DatasetOptions { DataFolder = Path.Combine(_temp.Path, "worker") }, new DeviceProbe(), _ => { }, drain.Token, stop.Token));
        try
        {
            using var factory = new LearnDLFactory(Path.Combine(_temp.Path, "app"),
                ("LearnDL:Workers:Engine", "postgres"), ("ConnectionStrings:Jobs", jobs.ConnectionString));
            using var http = factory.CreateClient();
            var id = await http.SubmitAsync(new { dataset = BuiltinDataset.Name, images = 24, epochs = 1, seed = 6 });
            var ended = await http.WaitForRunAsync(id, TimeSpan.FromSeconds(180));
            Assert.Equal(("completed", "trace-lab"), (ended["status"]!.GetValue<string>(), ended["worker"]!.GetValue<string>()));

            var run = await RunSpanAsync(id);
            AssertUnderTheRequest(run);
            var queued = Under(run, "queued");
            var onWorker = await SpanAsync(s => s.OperationName == "run on worker" && Equals(s.GetTagItem(RunTracing.RunIdTag), id.ToString()));
            Assert.Equal((run.TraceId, run.SpanId), (onWorker.TraceId, onWorker.ParentSpanId));
            Assert.Equal(ActivityKind.Consumer, onWorker.Kind);
            Assert.Equal("trace-lab", onWorker.GetTagItem("learndl.worker"));
            AssertStagesInOrder(onWorker, queued);
            // The web app ran none of the stages itself.
            Assert.DoesNotContain(Snapshot(), s => s.ParentSpanId == run.SpanId && Stages.Contains(s.OperationName));
        }
        finally
        {
            stop.Cancel();
            drain.Cancel();
            // The worker leaving is the drain tests' business (tests/LearnDL.E2E/WorkerTests.cs); this one only waits a while for it.
            await Task.WhenAny(worker, Task.Delay(TimeSpan.FromSeconds(30)));
        }
    }

    private Task<Activity> RunSpanAsync(Guid id) =>
        SpanAsync(s => s.OperationName == "run" && s.Source.Name == RunTracing.SourceName && Equals(s.GetTagItem(RunTracing.RunIdTag), id.ToString()));

    /// <summary>A span ends a moment after the run's end is visible through the API: wait for it, a bounded while.</summary>
    private async Task<Activity> SpanAsync(Func<Activity, bool> match)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(50))
        {
            if (Snapshot().FirstOrDefault(match) is { } span) return span;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No such span within 30 s; recorded: {string.Join(", ", Snapshot().Select(s => s.OperationName).Distinct())}");
        }
    }

    private Activity[] Snapshot()
    {
        lock (_spans) return [.. _spans];
    }

    private Activity Single(Func<Activity, bool> match) => Assert.Single(Snapshot(), s => match(s));

    /// <summary>The run's span is the child of the request that asked for it (ASP.NET Core's server span of the POST).</summary>
    private void AssertUnderTheRequest(Activity run)
    {
        var request = Single(s => s.SpanId == run.ParentSpanId);
        Assert.Equal((ActivityKind.Server, "Microsoft.AspNetCore.Hosting.HttpRequestIn", run.TraceId), (request.Kind, request.OperationName, request.TraceId));
    }

    private Activity Under(Activity parent, string name)
    {
        var child = Single(s => s.ParentSpanId == parent.SpanId && s.OperationName == name);
        Assert.Equal(parent.TraceId, child.TraceId);
        return child;
    }

    /// <summary>The engine's stages under <paramref name="parent"/>, one each, in order, after the wait in the queue and within the parent.</summary>
    private void AssertStagesInOrder(Activity parent, Activity queued)
    {
        var stages = Snapshot().Where(s => s.ParentSpanId == parent.SpanId && Stages.Contains(s.OperationName)).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(Stages, stages.Select(s => s.OperationName));
        Assert.All(stages, s => Assert.Equal(parent.TraceId, s.TraceId));
        Assert.True(End(queued) <= stages[0].StartTimeUtc, "The run left the queue before its first stage.");
        for (var i = 1; i < stages.Count; i++) Assert.True(End(stages[i - 1]) <= stages[i].StartTimeUtc, $"{stages[i - 1].OperationName} ended before {stages[i].OperationName}.");
        Assert.True(End(stages[^1]) <= End(parent), "The stages end within their parent.");
    }

    private static DateTime End(Activity span) => span.StartTimeUtc + span.Duration;
}
