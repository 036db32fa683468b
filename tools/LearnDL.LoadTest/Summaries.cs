namespace LearnDL.LoadTest;

/// <summary>The figures the targets are about, and the table a reader looks at first.</summary>
internal static class Summaries
{
    public static object Watched(IReadOnlyList<WatchedRun> runs, Arguments options)
    {
        double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }
        var groups = runs.GroupBy(r => r.Watchers).ToDictionary(g => g.Key, g => g.ToList());
        var none = groups["none"];
        var one = groups["1 page"];
        var crowd = groups.First(g => g.Key.Contains("pollers")).Value;
        // Paired by round: each ratio compares runs minutes apart on the same machine.
        var speedRatios = none.Zip(one, (n, o) => o.FeaturizeImagesPerSecond / n.FeaturizeImagesPerSecond).ToList();
        var cpuRatios = none.Zip(crowd, (n, c) => c.ServerCpuSeconds / n.ServerCpuSeconds).ToList();
        return new
        {
            images = options.Images,
            crowd = $"{options.Pages} Chromium pages + {options.Pollers} API pollers",
            unwatchedImagesPerSecond = Median(none.Select(r => r.FeaturizeImagesPerSecond)),
            onePageImagesPerSecond = Median(one.Select(r => r.FeaturizeImagesPerSecond)),
            onePageSpeedRatio = Median(speedRatios),
            onePageSpeedRatios = speedRatios,
            onePageTargetMet = Median(speedRatios) >= 0.9,
            crowdImagesPerSecond = Median(crowd.Select(r => r.FeaturizeImagesPerSecond)),
            unwatchedServerCpuSeconds = Median(none.Select(r => r.ServerCpuSeconds)),
            crowdServerCpuSeconds = Median(crowd.Select(r => r.ServerCpuSeconds)),
            crowdServerCpuRatio = Median(cpuRatios),
            crowdServerCpuRatios = cpuRatios,
            crowdTargetMet = Median(cpuRatios) <= 1.1,
        };
    }

    public static void PrintTable(IReadOnlyDictionary<string, object> report, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine("| measure | figure |");
        output.WriteLine("| --- | --- |");
        if (report.TryGetValue("watchedRuns", out var w))
            foreach (var r in (IEnumerable<WatchedRun>)w)
                output.WriteLine($"| run, {r.Watchers}, round {r.Round} | {r.FeaturizeImagesPerSecond:0.0} img/s; server {r.ServerCpuSeconds:0.0} CPU-s; other programs {r.OtherCores:0.00} cores |");
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
