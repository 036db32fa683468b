namespace LearnDL.Training.Runs;

/// <summary>
/// Reports on the reporting thread, at once. Progress&lt;T&gt; would post to a captured context, out
/// of order and late; the engine's listeners (a hub, a terminal, a test) want every event as it comes.
/// </summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
