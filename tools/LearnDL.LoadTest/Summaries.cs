namespace LearnDL.LoadTest;

/// <summary>The figures the targets are about, and the table a reader looks at first.</summary>
internal static class Summaries
{
    public static void PrintTable(IReadOnlyDictionary<string, object> report, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine("| measure | figure |");
        output.WriteLine("| --- | --- |");
        if (report.TryGetValue("watchedRuns", out var w))
            foreach (var r in (IEnumerable<WatchedRun>)w)
                output.WriteLine($"| run, {r.Watchers}, round {r.Round} | {r.FeaturizeImagesPerSecond:0.0} img/s; server {r.ServerCpuSeconds:0.0} CPU-s; browser {r.BrowserCpuSeconds:0.0} CPU-s; " +
                    $"other programs {r.OtherCores:0.00} cores while featurizing (not the browser: {r.ForeignCores:0.00}; {r.BusyBeforeCores:0.00} busy just before the run); attempt {r.Attempt} |");
        if (report.TryGetValue("watchedSummary", out var s))
            foreach (var p in s.GetType().GetProperties())
                output.WriteLine($"| {p.Name} | {Format(p.GetValue(s))} |");
        if (report.TryGetValue("pulse", out var pulse))
            foreach (var b in (IEnumerable<PulseBurst>)pulse)
                output.WriteLine($"| class pulse, {b.Students} students answering, instructor page: {b.Instructor} | {b.Answers} answers ({b.Refused} refused) in {b.Seconds:0.0} s; " +
                    $"server {b.ServerCpuSeconds:0.0} CPU-s; panel redraws {b.PanelRedraws}{(b.PanelCaughtUpSeconds is { } c ? $", caught up {c:0.0} s after the last answer" : "")} |");
        if (report.TryGetValue("class", out var cls) && cls is ClassResult k)
        {
            output.WriteLine($"| class of {k.Students} circuits + 1 Chromium page | click-to-render p50 {k.P50ClickToRenderMs:0} ms, p95 {k.P95ClickToRenderMs:0} ms, p99 {k.P99ClickToRenderMs:0} ms " +
                $"({k.Details.Clicks} clicks); browser p95 {k.BrowserP95ClickToRenderMs:0} ms; {k.CircuitsDropped} dropped, {k.Errors} errors; {k.Details.StudentsFinished} finished |");
            output.WriteLine($"| class of {k.Students}: server | RSS once collected {k.Details.SettledBaselineMb:0} MB before, {k.Details.SettledIdleMb:0} MB idle ({k.MemoryPerIdleCircuitMb:0.00} MB a circuit); " +
                $"as read {k.Details.BaselineMb:0} and {k.Details.IdleMb:0} MB ({k.Details.RawMemoryPerIdleCircuitMb:0.00} MB a circuit), " +
                $"{k.Details.WatchingPeakMb:0} MB watching ({k.MemoryPerWatchingCircuitMb:0.00} MB a circuit, the run's own {k.Details.RunOwnMb:0} MB taken off); " +
                $"CPU {k.Details.ServerCpuCores:0.00} cores, {k.Details.ServerCpuCoresWhileWatching:0.00} while watching; run {k.Details.RunSeconds:0} s ({k.Details.RunEnded}; {k.Details.DistinctRuns} run(s)), " +
                $"{k.Details.BatchesPerSecondPerWatcher:0.0} batches/s a watcher |");
            if (k.Details.Restart is { } r)
                output.WriteLine($"| class of {k.Students}: restart | server down {r.SecondsServerDown:0.0} s; {r.Back} back, {r.IdentityKept} as themselves; last back {r.SecondsToLastBack:0.0} s after the server answered " +
                    $"({r.SecondsFromKillToLastBack:0.0} s after the kill); {r.Reconnected} reconnected, {r.Reloaded} reloaded; peak {r.PeakMb:0} MB |");
        }
        if (report.TryGetValue("pixelBombs", out var bombs))
            foreach (var b in (IEnumerable<PixelBombResult>)bombs) output.WriteLine($"| pixel bombs | {b} |");
        foreach (var key in new[] { "pageLatency", "sameTryIt", "differentRequests", "memory" })
            if (report.TryGetValue(key, out var value)) output.WriteLine($"| {key} | {value} |");
        output.WriteLine();
    }

    private static string Format(object? value) => value switch
    {
        double d => d.ToString("0.###"),
        IEnumerable<double> list => string.Join(", ", list.Select(d => d.ToString("0.###"))),
        _ => value?.ToString() ?? "",
    };
}
