using System.Globalization;
using System.Text;
using LearnDL.Web.Data;
using LearnDL.Web.Features.Runs;
using LearnDL.Web.Features.Shared;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Instructor;

/// <summary>A finished run in the class results: who ran what, on which device, how fast, how well.</summary>
public sealed record ClassResult(Guid Id, string Student, string Device, string Dataset, int Images, int Epochs, double Seconds,
    double ImagesPerSecond, double Accuracy, DateTimeOffset At);

/// <summary>One device and dataset size in the class summary: the median time of the class's runs.</summary>
public sealed record ClassSummaryRow(string Device, string Dataset, int Images, int Runs, double MedianSeconds, double MedianImagesPerSecond);

/// <summary>Which class results a table wants.</summary>
public sealed record ClassResultFilter(string? Device = null, string? Dataset = null, string? Student = null);

/// <summary>The class's completed runs by student, their summary per device and dataset, and the CSV the instructor exports.</summary>
public sealed class ClassResults(RunStore store, StudentRegistry students)
{
    private const int MaxRows = 5000;

    public async Task<IReadOnlyList<ClassResult>> ListAsync(ClassResultFilter filter)
    {
        var runs = (await store.ListAsync(new RunFilter(string.IsNullOrEmpty(filter.Device) ? null : filter.Device, RunStatus.Completed), 0, MaxRows)).Items;
        var names = await students.NamesAsync(runs.Select(r => r.OwnerId));
        return runs.Where(r => r.TotalSeconds is not null)
            .Select(r => new ClassResult(r.Id, names[r.OwnerId], r.DeviceShown, r.Dataset, r.Images, r.Epochs, r.TotalSeconds!.Value,
                r.FeaturizeImagesPerSecond ?? 0, r.Accuracy ?? 0, r.FinishedAt ?? r.CreatedAt))
            .Where(r => string.IsNullOrEmpty(filter.Dataset) || r.Dataset.Equals(filter.Dataset, StringComparison.OrdinalIgnoreCase))
            .Where(r => string.IsNullOrEmpty(filter.Student) || r.Student.Contains(filter.Student, StringComparison.OrdinalIgnoreCase))
            .ToList();
    }

    /// <summary>Median time per device, dataset and image count: "CPU median 78 s, GPU median 3 s for 2000 images".</summary>
    public static IReadOnlyList<ClassSummaryRow> Summarize(IEnumerable<ClassResult> results) => results
        .GroupBy(r => (r.Device, r.Dataset, r.Images))
        .Select(g => new ClassSummaryRow(g.Key.Device, g.Key.Dataset, g.Key.Images, g.Count(), Median(g.Select(r => r.Seconds)), Median(g.Select(r => r.ImagesPerSecond))))
        .OrderBy(r => r.Dataset).ThenBy(r => r.Images).ThenBy(r => r.Device).ToList();

    public static string Describe(IReadOnlyList<ClassSummaryRow> summary) => summary.Count == 0
        ? "No finished runs in the class yet."
        : string.Join("; ", summary.GroupBy(s => (s.Dataset, s.Images)).Select(g =>
            string.Join(", ", g.Select(s => $"{s.Device.ToUpperInvariant()} median {Durations.Short(s.MedianSeconds)}")) + $" for {g.Key.Images:N0} {g.Key.Dataset} images")) + ".";

    public static ChartModel Chart(IReadOnlyList<ClassSummaryRow> summary)
    {
        var layout = RunCharts.BaseLayout("The class's median time per run (seconds)", "", "seconds");
        var data = summary.GroupBy(s => s.Device).Select(g => (Plotly.Blazor.ITrace)new Plotly.Blazor.Traces.Bar
        {
            Name = g.Key.ToUpperInvariant(),
            X = g.Select(s => (object)$"{s.Images} {s.Dataset}").ToList(),
            Y = g.Select(s => (object)Math.Round(s.MedianSeconds, 1)).ToList(),
        }).ToList();
        return new($"class-summary:{summary.Count}:{summary.Sum(s => s.Runs)}", data, layout, Describe(summary),
            RunCharts.Table(["device", "dataset", "images", "runs", "median time", "median images/s"],
                summary.Select(s => (IReadOnlyList<string>)[s.Device.ToUpperInvariant(), s.Dataset, s.Images.ToString("N0"), s.Runs.ToString(), Durations.Short(s.MedianSeconds), s.MedianImagesPerSecond.ToString("0.0")])));
    }

    /// <summary>The results as CSV (RFC 4180), with cells that a spreadsheet would run as a formula defused.</summary>
    public static string Csv(IEnumerable<ClassResult> results)
    {
        var csv = new StringBuilder("student,device,dataset,images,epochs,seconds,images_per_second,accuracy,finished_utc,run\r\n");
        foreach (var r in results)
            csv.AppendJoin(',', Cell(r.Student), Cell(r.Device), Cell(r.Dataset), r.Images.ToString(CultureInfo.InvariantCulture), r.Epochs.ToString(CultureInfo.InvariantCulture),
                r.Seconds.ToString("0.00", CultureInfo.InvariantCulture), r.ImagesPerSecond.ToString("0.00", CultureInfo.InvariantCulture),
                r.Accuracy.ToString("0.0000", CultureInfo.InvariantCulture), r.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), r.Id.ToString())
               .Append("\r\n");
        return csv.ToString();
    }

    internal static string Cell(string text)
    {
        if (text.Length > 0 && "=+-@\t\r".Contains(text[0])) text = "'" + text;
        return text.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;
    }

    /// <summary>The middle value (the mean of the two middle ones for an even count); the class pulse's lesson times use it too.</summary>
    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
