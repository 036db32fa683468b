using System.Diagnostics;
using LearnDL.Testing;

namespace LearnDL.LoadTest;

public sealed record LatencyResult(int Clients, int Requests, int Failures, double P50Milliseconds, double P95Milliseconds, double MaxMilliseconds,
    IReadOnlyDictionary<string, double> P95ByPage);

/// <summary>Many clients loading pages at once while a run streams: how long a page takes to arrive.</summary>
public sealed class PageLatency(AppProcess app, int clients, TimeSpan duration)
{
    public async Task<LatencyResult> MeasureAsync(string lessonSlug)
    {
        using var starter = new Student(app.BaseUrl);
        var (_, runId, _) = await starter.SubmitAsync(new { dataset = "builtin", images = 1000, epochs = 1, device = "cpu", seed = 12 });
        await Task.Delay(2000); // the run is featurizing now
        string[] paths = ["/", "/lessons", $"/lessons/{lessonSlug}", "/runs", $"/runs/{runId}"];
        var timings = new List<(string Path, double Ms)>();
        int failures = 0;
        var until = DateTime.UtcNow + duration;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            using var student = new Student(app.BaseUrl);
            for (int i = c; DateTime.UtcNow < until; i++)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    using var response = await student.Http.GetAsync(paths[i % paths.Length]);
                    await response.Content.ReadAsByteArrayAsync();
                    if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
                }
                catch (HttpRequestException) { Interlocked.Increment(ref failures); }
                lock (timings) timings.Add((paths[i % paths.Length], clock.Elapsed.TotalMilliseconds));
            }
        }));
        await starter.Http.DeleteAsync($"/api/runs/{runId}");
        var all = timings.Select(t => t.Ms).Order().ToList();
        var byPage = timings.GroupBy(t => t.Path.StartsWith("/runs/") ? "/runs/{id}" : t.Path)
            .ToDictionary(g => g.Key, g => Math.Round(Percentile(g.Select(t => t.Ms).Order().ToList(), 0.95), 1));
        return new(clients, all.Count, failures, Percentile(all, 0.5), Percentile(all, 0.95), all[^1], byPage);
    }

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
}
