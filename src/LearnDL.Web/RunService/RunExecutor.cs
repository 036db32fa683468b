using LearnDL.Training.Training;

namespace LearnDL.Web.RunService;

/// <summary>
/// Executes a run the queue has started: the seam between LearnDL's own rules (admission, turns, shared
/// runs, positions: the queue) and the machine that does the work. What crosses it is plain data (a
/// <see cref="RunSpec"/> in, <see cref="RunEvent"/>s and a <see cref="RunResult"/> out), so a run can
/// execute in this process or on a worker machine; the model ends up where <see cref="ModelFiles"/> says.
/// </summary>
public interface IRunExecutor
{
    Task<RunResult> ExecuteAsync(RunSpec spec, IProgress<RunEvent> events, CancellationToken cancellationToken);
}

/// <summary>This server executes the run itself, with the engine every run shares (the default).</summary>
public sealed class InProcessRunExecutor(RunEngine engine, ModelFiles models) : IRunExecutor
{
    public Task<RunResult> ExecuteAsync(RunSpec spec, IProgress<RunEvent> events, CancellationToken cancellationToken) =>
        // Every run keeps its trained model, so its page can classify a new image and offer the file.
        engine.RunAsync(spec.Options with { SaveModelPath = models.PathFor(spec.Id) }, events, cancellationToken);
}
