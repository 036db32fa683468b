using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Training.Precision;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.RunService;

/// <summary>A run request as JSON: the launcher's fields; device is "cpu", "gpu" or "auto". A field left out takes <see cref="RunSettings"/>' default.</summary>
public sealed record RunRequestBody(string? Dataset, int? Images, int? Epochs, string? Device, int? Seed, bool? Shared, string? Precision = null)
{
    /// <summary>The settings asked for, or the problem with the device's name.</summary>
    public (RunSettings? Settings, string? Problem) ToSettings()
    {
        var defaults = new RunSettings();
        var device = defaults.Device;
        if (Device is not null && !DeviceNames.TryParse(Device, out device)) return (null, "device must be cpu, gpu or auto.");
        var precision = defaults.Precision;
        if (Precision is not null && !NetworkPrecisions.TryParse(Precision, out precision)) return (null, "precision must be fp32 or int8.");
        return (new RunSettings
        {
            Dataset = Dataset ?? defaults.Dataset, Images = Images ?? defaults.Images, Epochs = Epochs ?? defaults.Epochs,
            Device = device, Seed = Seed ?? defaults.Seed, Shared = Shared ?? defaults.Shared, Precision = precision,
        }, null);
    }
}

public sealed record RunProgressBody(string? Stage, int Done, int Total, int Skipped, double Percent, double? ImagesPerSecond, double ElapsedSeconds);

/// <summary>A run as the API reports it.</summary>
public sealed record RunBody(
    Guid Id, RunStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string Dataset, int Images, int Epochs, string DeviceRequested, string? Device, string? DeviceReason,
    string? Worker, int? QueuePosition, int Members, RunProgressBody Progress, CpuShare? Cpu, IReadOnlyList<EpochMetrics> EpochMetrics,
    string? Error, RunResultBody? Result, string Page, string Precision);

/// <summary>An example prediction; the image is named by its class folder and file name, never by its path on the server.</summary>
public sealed record ExampleBody(string Image, string Actual, string Predicted, double Confidence, bool Correct);

/// <summary>An image the run skipped, named as <see cref="ExampleBody.Image"/> is, and why.</summary>
public sealed record SkippedBody(string Image, string Reason);

/// <summary>
/// What a finished run measured, as the API tells it: the engine's <see cref="RunResult"/> without
/// anything that names the server's files (dataset folders, image paths, the model's path).
/// </summary>
public sealed record RunResultBody(
    int Images, int TrainImages, int TestImages, string Device, string DeviceReason, string RuntimeBuild, int BatchSize,
    IReadOnlyList<EpochMetrics> Epochs, IReadOnlyList<StageTiming> Stages, double TotalSeconds, double FeaturizeWallSeconds,
    double FeaturizeImagesPerSecond, CpuShare? FeaturizeCpu, double ImagesPerSecond, double MicroAccuracy, double MacroAccuracy, double LogLoss,
    IReadOnlyList<string> Classes, IReadOnlyList<ClassMetrics> PerClass, IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix,
    IReadOnlyList<ExampleBody> Examples, int SkippedFiles, IReadOnlyList<SkippedBody> Skipped, string Precision)
{
    public static RunResultBody From(RunResult r) => new(
        r.Images, r.TrainImages, r.TestImages, r.Device, r.DeviceReason, r.RuntimeBuild, r.BatchSize, r.Epochs, r.Stages, r.TotalSeconds,
        r.FeaturizeWallSeconds, r.FeaturizeImagesPerSecond, r.FeaturizeCpu, r.ImagesPerSecond, r.MicroAccuracy, r.MacroAccuracy, r.LogLoss,
        r.Classes, r.PerClass, r.ConfusionMatrix,
        r.Examples.Select(e => new ExampleBody(ImageName(e.Source), e.Actual, e.Predicted, e.Confidence, e.Correct)).ToList(),
        r.SkippedFiles, r.Skipped.Select(s => new SkippedBody(ImageName(s.Source), s.Reason)).ToList(), r.Precision);

    /// <summary>"class/file.png" for a file (what the learner put in the dataset), the source itself otherwise ("fashion-mnist#12").</summary>
    public static string ImageName(string source)
    {
        if (!Path.IsPathRooted(source)) return source;
        var folder = Path.GetFileName(Path.GetDirectoryName(source));
        return string.IsNullOrEmpty(folder) ? Path.GetFileName(source) : $"{folder}/{Path.GetFileName(source)}";
    }
}

public sealed record RunListBody(int Total, int Page, int PageSize, IReadOnlyList<RunSummary> Items);

/// <summary>
/// /api/runs for scripts and instructors' tools: the same queue, checks and limits as the pages.
/// 400 names the problems, 429 says which limit was reached, another owner's run is 404 (the rules
/// are <see cref="Access"/>'s). No answer names a file or folder of the server.
/// </summary>
public static class RunApi
{
    public const int MaxPageSize = 200;

    public static IEndpointRouteBuilder MapRunApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runs").RequireAuthorization(Access.Joined);
        api.MapPost("", SubmitAsync);
        api.MapGet("{id:guid}", GetAsync);
        api.MapDelete("{id:guid}", CancelAsync);
        api.MapGet("", ListAsync);
        api.MapGet("{id:guid}/model", ModelAsync);
        return app;
    }

    private static async Task<IResult> SubmitAsync(RunRequestBody body, HttpContext http, IRunQueue queue)
    {
        var owner = RunOwner.From(http.User)!;
        var (settings, problem) = body.ToSettings();
        if (problem is not null) return Problem(400, [problem]);
        try
        {
            var admission = await queue.SubmitAsync(settings!, owner);
            return Results.Accepted($"/api/runs/{admission.RunId}", new
            {
                id = admission.RunId, joined = admission.Joined, members = admission.Members,
                position = queue.PositionOf(admission.RunId), page = $"/runs/{admission.RunId}",
            });
        }
        catch (RunRejectedException e)
        {
            return Problem(e.LimitReached ? StatusCodes.Status429TooManyRequests : StatusCodes.Status400BadRequest, e.Problems);
        }
    }

    private static async Task<IResult> GetAsync(Guid id, HttpContext http, RunViews views, RunLifecycle runs, IRunQueue queue, IAuthorizationService authorization)
    {
        // A run in progress is answered from memory: scripts polling it every second cost no read of the run.
        if (queue.Find(id) is { Dataset: { } dataset } job && runs.Snapshot(id, withSeries: false) is { IsFinished: false } live)
            return await MaySeeAsync(http, authorization, id)
                ? Results.Ok(Body(id, live, job.SubmittedAt, dataset, job.Images, job.Epochs, job.DeviceRequested, null, null, null, job.Precision))
                : NotFound(id);
        // Otherwise one read: the run, whether this caller is on it, and its live state, as its page reads it.
        if (await views.ForAsync(id, RunOwner.From(http.User)!, withSeries: false) is not { View: var view }) return NotFound(id);
        var record = view.Record;
        return Results.Ok(Body(id, view.Snapshot, record.CreatedAt, record.Dataset, record.Images, record.Epochs, record.DeviceRequested,
            record, view.Result, record.FinishedAt, record.Precision));
    }

    private static RunBody Body(Guid id, RunSnapshot s, DateTimeOffset createdAt, string dataset, int images, int epochs, string deviceRequested,
        RunRecord? record, RunResult? result, DateTimeOffset? finishedAt, string precision) =>
        new(id, s.Status, createdAt, s.StartedAt ?? record?.StartedAt, finishedAt, dataset, images, epochs, deviceRequested,
            s.Device ?? record?.Device, s.DeviceReason ?? record?.DeviceReason, s.Worker ?? record?.Worker, s.QueuePosition, s.Members,
            new RunProgressBody(s.Stage?.ToString().ToLowerInvariant(), s.Done, s.Total, s.Skipped, Math.Round(s.Percent, 1), s.ImagesPerSecond, s.ElapsedSeconds),
            s.Cpu, s.Epochs, s.Error, result is null ? null : RunResultBody.From(result), $"/runs/{id}", precision);

    private static async Task<IResult> CancelAsync(Guid id, HttpContext http, IRunQueue queue, RunStore store, IAuthorizationService authorization)
    {
        if (!await MaySeeAsync(http, authorization, id) || await store.GetSummaryAsync(id) is not { } run) return NotFound(id);
        var outcome = await queue.CancelAsync(authorization, RunOwner.From(http.User)!, id);
        // Seeing a run (a class demo) is not being on it: someone else's run cannot be stopped, and is not there for them.
        if (outcome == CancelOutcome.NotAMember) return NotFound(id);
        if (outcome != CancelOutcome.NotInProgress)
            return Results.Accepted($"/api/runs/{id}", new { id, cancelling = outcome == CancelOutcome.Cancelled, left = outcome == CancelOutcome.Left });
        return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The run is not in progress",
            detail: $"Run {id} has already ended ({run.Status.ToString().ToLowerInvariant()}).");
    }

    private static async Task<IResult> ListAsync(HttpContext http, RunStore store, IOptions<LearnDLOptions> options,
        string? state = null, string? device = null, int page = 0, int pageSize = 50)
    {
        var owner = RunOwner.From(http.User)!;
        var problems = new List<string>();
        RunStatus? status = null;
        if (!string.IsNullOrEmpty(state))
        {
            if (Enum.TryParse<RunStatus>(state, ignoreCase: true, out var s) && Enum.IsDefined(s)) status = s;
            else problems.Add($"state must be one of {string.Join(", ", Enum.GetNames<RunStatus>().Select(n => n.ToLowerInvariant()))}.");
        }
        if (!string.IsNullOrEmpty(device) && device is not ("cpu" or "gpu")) problems.Add("device must be cpu or gpu.");
        if (page < 0) problems.Add("page must be 0 or more.");
        if (pageSize is < 1 or > MaxPageSize) problems.Add($"pageSize must be between 1 and {MaxPageSize}.");
        if (problems.Count > 0) return Problem(400, problems);
        var result = await store.ListAsync(new RunFilter(device, status).For(owner, options.Value.Class.IsOn), page, pageSize);
        return Results.Ok(new RunListBody(result.Total, page, pageSize, result.Items));
    }

    /// <summary>The trained model, an ML.NET model file, for the run's own page and for scripts.</summary>
    private static async Task<IResult> ModelAsync(Guid id, HttpContext http, RunStore store, IAuthorizationService authorization, ModelFiles models)
    {
        if (!await MaySeeAsync(http, authorization, id) || await store.GetSummaryAsync(id) is not { } run) return NotFound(id);
        if (run.Status != RunStatus.Completed)
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "No model yet",
                detail: $"Run {id} is {run.Status.ToString().ToLowerInvariant()}: only a completed run has a trained model.");
        if (!models.Exists(id))
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "The trained model is gone",
                detail: $"The model file of run {id} is no longer in the data folder. Run it again to train a new one.");
        return Results.File(models.PathFor(id), "application/zip", ModelFiles.DownloadName(id));
    }

    private static async Task<bool> MaySeeAsync(HttpContext http, IAuthorizationService authorization, Guid id) =>
        (await authorization.AuthorizeAsync(http.User, new RunRef(id), Access.See)).Succeeded;

    private static IResult NotFound(Guid id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such run", detail: $"There is no run {id} here.");

    private static IResult Problem(int status, IReadOnlyList<string> problems) => Results.Problem(
        statusCode: status,
        title: status == StatusCodes.Status429TooManyRequests ? "A limit was reached" : "The run was not queued",
        detail: string.Join(" ", problems),
        extensions: new Dictionary<string, object?> { ["problems"] = problems });
}
