using System.Diagnostics;
using LearnDL.Training.Runs;
using Spectre.Console;

namespace LearnDL.Cli;

/// <summary>
/// Shows a run's progress on stderr: a line per stage, a live images bar (redrawn in place on a
/// terminal, a line every few seconds otherwise) and a line per epoch.
/// </summary>
public sealed class RunProgressPrinter(IAnsiConsole console, TextWriter raw, bool live) : IProgress<RunEvent>
{
    private readonly Lock _lock = new();
    private readonly bool _live = live;
    private long _lastDraw;
    private bool _barOpen;

    public void Report(RunEvent value)
    {
        lock (_lock)
        {
            switch (value)
            {
                case StageStarted s:
                    EndBar();
                    console.MarkupLineInterpolated($"[grey]{s.Elapsed.TotalSeconds,6:0.0}s[/] [bold]{s.Stage.Title()}[/]: {s.Detail}");
                    break;
                case ImagesFeaturized f:
                    var due = Stopwatch.GetElapsedTime(_lastDraw).TotalSeconds >= (_live ? 0.2 : 5);
                    if (!due && f.Done < f.Total) return;
                    _lastDraw = Stopwatch.GetTimestamp();
                    var line = $"{f.Elapsed.TotalSeconds,6:0.0}s {Bar(f.Done, f.Total)} {f.Done}/{f.Total} images  {f.ImagesPerSecond:0.0} img/s" +
                               (f.Skipped > 0 ? $"  ({f.Skipped} skipped)" : "");
                    if (_live)
                    {
                        // Straight to the terminal: a carriage return redraws the bar in place.
                        raw.Write("\r" + line);
                        raw.Flush();
                        _barOpen = true;
                        if (f.Done >= f.Total) EndBar();
                    }
                    else console.WriteLine(line);
                    break;
                case EpochCompleted e:
                    EndBar();
                    var m = e.Metrics;
                    console.MarkupLineInterpolated(
                        $"[grey]{e.Elapsed.TotalSeconds,6:0.0}s[/] epoch {m.Epoch}: train acc {m.TrainAccuracy:P1} (loss {m.TrainLogLoss:0.000}), held-out acc [bold]{m.TestAccuracy:P1}[/] (loss {m.TestLogLoss:0.000})");
                    break;
            }
        }
    }

    private void EndBar()
    {
        if (!_barOpen) return;
        raw.WriteLine();
        _barOpen = false;
    }

    private static string Bar(int done, int total)
    {
        const int width = 24;
        int filled = total == 0 ? width : done * width / total;
        return "[" + new string('#', filled) + new string('.', width - filled) + "]";
    }
}
