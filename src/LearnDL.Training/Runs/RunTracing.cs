using System.Diagnostics;

namespace LearnDL.Training.Runs;

/// <summary>
/// LearnDL's spans for a run, one trace from the click to the worker: the run (admitted to ended), its wait in the
/// queue, the worker's attempt, and the engine's stages (prepare, featurize, train, evaluate). With nobody listening
/// (no exporter configured) <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and costs nothing.
/// </summary>
public static class RunTracing
{
    public const string SourceName = "LearnDL";
    public const string RunIdTag = "learndl.run.id";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>A span under <paramref name="parent"/> that does not become the current one (the caller's current span stays so).</summary>
    public static Activity? StartChild(string name, ActivityContext parent, ActivityKind kind = ActivityKind.Internal, DateTimeOffset startTime = default)
    {
        if (!Source.HasListeners()) return null;
        var current = Activity.Current;
        var activity = Source.StartActivity(name, kind, parent, startTime: startTime);
        Activity.Current = current;
        return activity;
    }

    /// <summary>The W3C traceparent of a span, to carry across a process boundary (the run's specification); null without one.</summary>
    public static string? TraceParent(this Activity? activity) => activity?.Id is { } id && activity.IdFormat == ActivityIdFormat.W3C ? id : null;

    /// <summary>The context a traceparent names, or default (a new trace) when there is none or it does not parse.</summary>
    public static ActivityContext ContextOf(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var context) ? context : default;

    /// <summary>
    /// The engine's stage spans under the run's span: each stage ends where the next begins. Ends the last one when disposed.
    /// </summary>
    internal sealed class Stages(ActivityContext run) : IDisposable
    {
        private Activity? _current;

        public void Enter(RunStage stage)
        {
            _current?.Dispose();
            _current = run == default ? null : StartChild(stage.ToId(), run);
        }

        public void Dispose() => _current?.Dispose();
    }
}
