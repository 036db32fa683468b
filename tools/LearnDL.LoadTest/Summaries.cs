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
