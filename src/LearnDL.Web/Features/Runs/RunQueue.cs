using System.Collections.Concurrent;
using System.Threading.Channels;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Training;
using LearnDL.Web.Data;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Features.Runs;

/// <summary>A queued run: its options and the token that cancels it.</summary>
public sealed record RunJob(Guid Id, RunOptions Options, CancellationTokenSource Cancel);

/// <summary>
/// Where pages put runs. Checks a request against the limits, the catalog and the device probe,
/// stores it, and hands its id to <see cref="RunWorker"/>; pages never run anything themselves.
/// </summary>
public sealed class RunQueue(RunStore store, RunHub hub, DatasetCatalog catalog, DeviceProbe probe,
    IOptions<LearnDLOptions> options, TimeProvider time)
{
    private readonly Channel<RunJob> _channel = Channel.CreateUnbounded<RunJob>(new() { SingleReader = true });
    private readonly ConcurrentDictionary<Guid, RunJob> _jobs = new();

    internal ChannelReader<RunJob> Reader => _channel.Reader;

    /// <summary>Problems with a request, without queueing it; empty when it can run.</summary>
    public IReadOnlyList<string> Check(RunRequest request)
    {
        var problems = request.ToOptions().Validate().ToList();
        if (request.Images > options.Value.MaxImagesPerRun)
            problems.Add($"This server allows at most {options.Value.MaxImagesPerRun:N0} images per run.");
        try
        {
            var info = catalog.Open(request.Dataset).Info;
            if (request.Images > info.ImageCount)
                problems.Add($"{info.Title} has {info.ImageCount:N0} images; ask for fewer.");
        }
        catch (DatasetException e) { problems.Add(e.Message); }
        try { probe.Choose(request.Device); }
        catch (DeviceUnavailableException e) { problems.Add(e.Message); }
        if (_jobs.Count >= options.Value.MaxQueuedRuns)
            problems.Add($"The queue is full ({options.Value.MaxQueuedRuns} runs waiting or running). Try again when one finishes.");
        return problems;
    }

    /// <summary>Queues a run and returns its id, or throws <see cref="RunRejectedException"/>.</summary>
    public async Task<Guid> EnqueueAsync(RunRequest request, string? group = null)
    {
        var problems = Check(request);
        if (problems.Count > 0) throw new RunRejectedException(problems);
        var id = Guid.NewGuid();
        await store.AddAsync(new RunRecord
        {
            Id = id, CreatedAt = time.GetUtcNow(), Status = RunStatus.Queued, Group = group,
            Dataset = request.Dataset, Images = request.Images, Epochs = request.Epochs,
            DeviceRequested = request.Device.ToString().ToLowerInvariant(), Seed = request.Seed,
        });
        var job = new RunJob(id, request.ToOptions(), new CancellationTokenSource());
        _jobs[id] = job;
        hub.Queued(id);
        await _channel.Writer.WriteAsync(job);
        return id;
    }

    /// <summary>Asks a queued or running run to stop; false when it is not in progress here.</summary>
    public bool Cancel(Guid id)
    {
        if (!_jobs.TryGetValue(id, out var job)) return false;
        job.Cancel.Cancel();
        return true;
    }

    internal void Done(Guid id)
    {
        if (_jobs.TryRemove(id, out var job)) job.Cancel.Dispose();
    }
}
