using System.Globalization;
using System.Net;
using System.Text;
using LearnDL.Web.Features.Lessons.Demos;

namespace LearnDL.Web.Features.Lessons;

/// <summary>
/// The course's charts, drawn by code from the numbers they show, to scale: a bar's length is its value
/// times a scale, or on a log axis its number of tenfold steps, and each bar carries its value
/// (<c>data-value</c>) inside a group that says its scale, so the course's tests can measure the drawing
/// (<see cref="LessonChecks.ScaleProblems"/>). The files in wwwroot-content are these drawings; a test
/// redraws them and fails when they differ.
/// </summary>
public static class CourseDrawings
{
    public static IReadOnlyDictionary<string, Func<GpuReference, string>> All { get; } = new Dictionary<string, Func<GpuReference, string>>
    {
        ["learn-on-cpu.svg"] = LearnOnCpu,
        ["batch-size.svg"] = BatchSize,
    };

    /// <summary>"33 ms", "1.6 s", "5.3 min", "2.4 h": a time as a bar's label.</summary>
    public static string Short(double seconds) =>
        seconds < 1 ? $"{N(seconds * 1000, "0")} ms" : seconds < 60 ? $"{N(seconds, "0.#")} s" : seconds < 3600 ? $"{N(seconds / 60, "0.#")} min" : $"{N(seconds / 3600, "0.#")} h";

    /// <summary>Lesson 5's staircase of jobs: the network's time alone on the reference machine's CPU and GPU, on a log axis.</summary>
    public static string LearnOnCpu(GpuReference reference)
    {
        var cost = TrainingCost.From(reference);
        double cpuForward = reference.Speed("cpu", false), gpuForward = reference.Speed("gpu", false);
        const double from = 0.01, pxPerDecade = 62, x0 = 300;
        var svg = new Svg(760, 330, $"Where the time goes as a job grows, the network alone on the reference machine: its {reference.CpuThreads}-thread CPU and its {reference.Gpu}, log time axis");
        svg.Text(20, 26, $"The network's time alone on the reference machine: its {reference.CpuThreads}-thread CPU and its {reference.Gpu}", 13, weight: 500);
        svg.Text(20, 44, "Log time axis: each grid line is ten times longer than the one before.", 11, fill: "#546e7a");
        svg.Open($"<g data-scale=\"log\" data-x=\"{x0}\" data-from=\"{from}\" data-px-per-decade=\"{pxPerDecade}\">");
        double y = 70;
        foreach (var job in JobSizes.Jobs)
        {
            var cpu = TrainingTime.Seconds(job.Images, job.Epochs, job.Kind, cpuForward, cost.Cpu, null);
            var gpu = TrainingTime.Seconds(job.Images, job.Epochs, job.Kind, gpuForward, cost.Gpu, null);
            svg.Text(x0 - 10, y + 16, job.What.Split(" (")[0].Replace(" + head", ""), 12, anchor: "end");
            foreach (var (seconds, colour, dy) in new[] { (cpu, "#3f51b5", 0.0), (gpu, "#00796b", 18.0) })
            {
                var width = pxPerDecade * Math.Log10(seconds / from);
                svg.Raw($"<rect x=\"{x0}\" y=\"{N(y + dy, "0.#")}\" width=\"{N(width, "0.##")}\" height=\"14\" fill=\"{colour}\" data-value=\"{N(seconds, "0.####")}\" />");
                svg.Text(x0 + width + 6, y + dy + 12, Short(seconds), 11);
            }
            y += 50;
        }
        svg.Raw("</g>");
        for (var decade = 0; decade <= 6; decade += 2)
        {
            var x = x0 + decade * pxPerDecade;
            svg.Raw($"<line x1=\"{N(x, "0")}\" y1=\"62\" x2=\"{N(x, "0")}\" y2=\"{N(y, "0")}\" stroke=\"#cfd8dc\" stroke-dasharray=\"3 3\" />");
            svg.Text(x, y + 14, $"{N(from * Math.Pow(10, decade), "#,0.##")} s", 10, anchor: "middle", fill: "#546e7a");
        }
        svg.Text(x0, y + 38, "learning: the GPU saves seconds", 12, fill: "#546e7a", weight: 500);
        svg.Text(740, y + 38, "real training: it saves hours", 12, anchor: "end", fill: "#546e7a", weight: 500);
        svg.Raw($"<rect x=\"20\" y=\"{N(y + 50, "0")}\" width=\"12\" height=\"10\" fill=\"#3f51b5\" />");
        svg.Text(38, y + 59, $"CPU ({reference.CpuThreads} threads)", 11);
        svg.Raw($"<rect x=\"150\" y=\"{N(y + 50, "0")}\" width=\"12\" height=\"10\" fill=\"#00796b\" />");
        svg.Text(168, y + 59, $"GPU ({reference.Gpu}), measured in {reference.Precision}", 11);
        return svg.Close();
    }

    /// <summary>Lesson 9: the reference GPU's speed by batch (linear), and what fills a GPU's memory for ResNet18 against two cards' memory (log: it spans more than 10,000 times).</summary>
    public static string BatchSize(GpuReference reference)
    {
        var svg = new Svg(760, 360, "Batch size: the reference GPU's speed grows with the batch; ResNet18's memory per batch against the memory of a T4 and an H200, on a log axis");
        svg.Text(20, 26, $"Reference GPU ({reference.Gpu}, {reference.Precision}): ResNet18 forward, images a second", 13, weight: 500);
        var rows = reference.Network.Where(n => n.Device == "gpu" && !n.Train).OrderBy(n => n.Batch).ToList();
        var max = rows.Max(r => r.ImagesPerSecond);
        double px = 300 / max, y = 50;
        svg.Open($"<g data-scale=\"linear\" data-x=\"90\" data-px=\"{N(px, "0.######")}\">");
        foreach (var row in rows)
        {
            var width = px * row.ImagesPerSecond;
            svg.Text(80, y + 15, $"batch {row.Batch}", 12, anchor: "end");
            svg.Raw($"<rect x=\"90\" y=\"{N(y, "0")}\" width=\"{N(width, "0.##")}\" height=\"20\" fill=\"#00796b\" data-value=\"{N(row.ImagesPerSecond, "0.##")}\" />");
            svg.Text(96 + width, y + 15, N(row.ImagesPerSecond, "N0"), 12);
            y += 34;
        }
        svg.Raw("</g>");
        svg.Text(20, y + 14, "A batch of 1 leaves most of its thousands of lanes idle.", 11, fill: "#546e7a");

        // Memory: megabytes, log axis from 1 MB.
        const double from = 1, perDecade = 52, x0 = 300;
        double top = y + 50;
        svg.Text(20, top, "What fills a GPU's memory for ResNet18 at 224×224 (FP32), against two cards' memory; log axis", 13, weight: 500);
        var perImage = ResNet18Work.ConvolutionOutputValues * 4 / 1e6;
        var bars = new List<(string Label, double Mb, string Colour)>
        {
            ("weights", ResNet18Work.Weights * 4 / 1e6, "#546e7a"),
            ("convolution outputs, batch 1", perImage, "#3f51b5"),
            ("convolution outputs, batch 8", 8 * perImage, "#3f51b5"),
            ("convolution outputs, batch 32", 32 * perImage, "#3f51b5"),
            ($"memory of a T4", GpuDatasheets.T4.MemoryGb * 1000, "#b71c1c"),
            ($"memory of an H200", GpuDatasheets.H200.MemoryGb * 1000, "#b71c1c"),
        };
        svg.Open($"<g data-scale=\"log\" data-x=\"{x0}\" data-from=\"{from}\" data-px-per-decade=\"{perDecade}\">");
        y = top + 14;
        foreach (var (label, mb, colour) in bars)
        {
            var width = perDecade * Math.Log10(mb / from);
            svg.Text(x0 - 10, y + 11, label, 12, anchor: "end");
            svg.Raw($"<rect x=\"{x0}\" y=\"{N(y, "0")}\" width=\"{N(width, "0.##")}\" height=\"14\" fill=\"{colour}\" data-value=\"{N(mb, "0.###")}\" />");
            svg.Text(x0 + width + 6, y + 11, mb >= 1000 ? $"{N(mb / 1000, "0.#")} GB" : $"{N(mb, mb >= 100 ? "0" : "0.#")} MB", 11);
            y += 22;
        }
        svg.Raw("</g>");
        for (var decade = 0; decade <= 6; decade += 3)
            svg.Text(x0 + decade * perDecade, y + 12, decade == 0 ? "1 MB" : decade == 3 ? "1 GB" : "1 TB", 10, anchor: "middle", fill: "#546e7a");
        return svg.Close();
    }

    private static string N(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A small SVG writer: the course's fonts and colours, text escaped.</summary>
    private sealed class Svg
    {
        private readonly StringBuilder _b = new();

        public Svg(int width, int height, string title)
        {
            var t = WebUtility.HtmlEncode(title);
            _b.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Roboto, Arial, sans-serif\" role=\"img\" aria-label=\"{t}\">\n");
            _b.Append($"  <title>{t}</title>\n  <rect width=\"{width}\" height=\"{height}\" fill=\"#fafafe\" />\n");
        }

        public void Text(double x, double y, string text, int size, string anchor = "start", string fill = "#263238", int weight = 400) =>
            _b.Append($"  <text x=\"{N(x, "0.#")}\" y=\"{N(y, "0.#")}\" font-size=\"{size}\" fill=\"{fill}\" text-anchor=\"{anchor}\" font-weight=\"{weight}\">{WebUtility.HtmlEncode(text)}</text>\n");

        public void Open(string tag) => _b.Append("  ").Append(tag).Append('\n');
        public void Raw(string element) => _b.Append("  ").Append(element).Append('\n');
        public string Close() => _b.Append("</svg>\n").ToString();
    }
}
