using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using LearnDL.Web.Features.Lessons.Demos;
using LearnDL.Training.Text;
using LearnDL.Web.Features.MyGpu;
using LearnDL.Web.Features.Shared;

namespace LearnDL.Web.Features.Lessons;

/// <summary>
/// A figure a lesson states, as text, and where it comes from. A pending figure (this server has not measured
/// it yet) is shown as a button that leads to the measurement, never as a phrase in the sentence.
/// </summary>
/// <param name="Mine">The figure is the learner's own card's, measured by them.</param>
public sealed record CourseNumber(string Text, string Source, bool Pending = false, bool Mine = false);

/// <summary>What this server has measured, for the figures that come from it (each may be missing).</summary>
public sealed record ServerFigures(MeasuredSpeed? Cpu, MeasuredSpeed? Gpu, MeasuredRun? LastCpuRun)
{
    /// <summary>This server's logical cores (a live figure: the course never assumes two).</summary>
    public int Cores { get; init; } = Environment.ProcessorCount;

    public static readonly ServerFigures None = new(null, null, null);

    public static async Task<ServerFigures> ReadAsync(MeasuredSpeeds speeds) =>
        new(await speeds.LatestAsync("cpu"), await speeds.LatestAsync("gpu"), await speeds.LatestRunAsync("cpu"));
}

/// <summary>
/// The figures lessons write as <c>[[NAME]]</c>: every one is measured on this server, read from the
/// reference GPU's file (tools/gpu-reference), taken from a named datasheet, or worked out from those
/// with the course's own calculator, and carries its source. So a lesson's text cannot drift from the
/// measurements it quotes, and a number that is not one of these must cite a source in the lesson
/// (checked by the course's tests). Figures named <c>mine.*</c> follow the learner's own card (measured with
/// lesson 8's notebook): without one they are the estimate the sentence gave before, or nothing at all.
/// </summary>
/// <param name="mine">The card the learner measured, or null.</param>
public sealed partial class CourseNumbers(GpuReference reference, ServerFigures here, LearnerGpu? mine = null)
{
    private delegate CourseNumber Definition(GpuReference reference, ServerFigures here, LearnerGpu? mine);

    /// <summary>What a pending figure's button says, and how it is measured.</summary>
    public const string PendingLabel = "measure it";
    private static readonly CourseNumber NotYet = new(PendingLabel, "Not measured on this server yet: start a Try-it of at least 40 images on the CPU, then reload this page.", Pending: true);
    private static readonly CourseNumber NoRunYet = new(PendingLabel, "Not measured on this server yet: finish a CPU run of at least 40 images (a Try-it), then reload this page.", Pending: true);

    private static readonly Dictionary<string, Definition> Definitions = Build();

    /// <summary>Every name a lesson may use; the parser refuses any other.</summary>
    public static IReadOnlyCollection<string> Names => Definitions.Keys;

    public CourseNumber this[string name] =>
        Definitions.TryGetValue(name, out var definition) ? definition(reference, here, mine) : throw new KeyNotFoundException($"No course figure is called '{name}'.");

    /// <summary>
    /// Fills a lesson's HTML: each <c>[[NAME]]</c> becomes its figure, with its source on hover and for screen
    /// readers' descriptions; a pending one becomes a button to <paramref name="measureHref"/> (the lesson's own
    /// Try-it, or one that measures it), its accessible name its visible label followed by how to measure it.
    /// </summary>
    public string Render(string html, string measureHref = DefaultMeasureHref) => Token().Replace(html, m =>
    {
        var number = this[m.Groups[1].Value];
        if (number.Text.Length == 0) return ""; // a sentence about the learner's card, who has given none
        var source = WebUtility.HtmlEncode(number.Source);
        var yours = number.Mine ? " data-mine=\"yes\"" : "";
        return number.Pending
            ? $"<a role=\"button\" class=\"course-number pending-figure\" data-number=\"{m.Groups[1].Value}\" data-pending=\"yes\" href=\"{WebUtility.HtmlEncode(measureHref)}\" title=\"{source}\" aria-label=\"{WebUtility.HtmlEncode(number.Text)}: {source}\">{WebUtility.HtmlEncode(number.Text)}</a>"
            : $"<span class=\"course-number\" data-number=\"{m.Groups[1].Value}\"{yours} title=\"{source}\">{WebUtility.HtmlEncode(number.Text)}</span>";
    });

    /// <summary>Where a page with no Try-it of its own sends a learner to measure: lesson 1's Try-it.</summary>
    public const string DefaultMeasureHref = "/lessons/cpu-and-gpu#try-it-cpu-small";

    /// <summary>The names a piece of text uses.</summary>
    public static IEnumerable<string> NamesIn(string text) => Token().Matches(text).Select(m => m.Groups[1].Value);

    [GeneratedRegex(@"\[\[([a-z0-9][a-z0-9.\-]*)\]\]")]
    public static partial Regex Token();

    private static Dictionary<string, Definition> Build()
    {
        var d = new Dictionary<string, Definition>(StringComparer.Ordinal);

        // The reference GPU's file.
        d["ref.gpu"] = (r, _, _) => new(r.Gpu, r.Source);
        d["ref.date"] = (r, _, _) => new(r.Measured, r.Source);
        d["ref.precision"] = (r, _, _) => new(r.Precision, "tools/gpu-reference/measure.py turns TF32 off for matrix multiplies and convolutions");
        d["ref.cpu.threads"] = (r, _, _) => new(r.CpuThreads.ToString(CultureInfo.InvariantCulture), r.Source + "; the file records PyTorch's thread count, not the CPU's model");
        foreach (var batch in new[] { 1, 8, 32, 64 })
            d[$"ref.fwd.b{batch}"] = (r, _, _) => new(Rate(r.At("gpu", batch, train: false)), $"{r.Source}: ResNet-18 forward, batch {batch}");
        foreach (var batch in new[] { 32, 64 })
            d[$"ref.train.b{batch}"] = (r, _, _) => new(Rate(r.At("gpu", batch, train: true)), $"{r.Source}: ResNet-18 training step, batch {batch}");
        d["ref.cpu.fwd"] = (r, _, _) => new(Rate(r.Speed("cpu", train: false)), $"{r.Source}: its CPU, ResNet-18 forward, batch 8");
        d["ref.cpu.train"] = (r, _, _) => new(Rate(r.Speed("cpu", train: true)), $"{r.Source}: its CPU, ResNet-18 training step, batch 8");
        d["ref.batch-gain"] = (r, _, _) => new(Times(r.At("gpu", 64, false) / r.At("gpu", 1, false)), $"{r.Source}: batch 64 against batch 1, forward");
        d["ref.train-cost.gpu"] = (r, _, _) => new(Ratio(r.Speed("gpu", false) / r.Speed("gpu", true)), $"{r.Source}: forward images/s over training images/s, batch 64");
        d["ref.train-cost.cpu"] = (r, _, _) => new(Ratio(r.Speed("cpu", false) / r.Speed("cpu", true)), $"{r.Source}: forward images/s over training images/s on its CPU, batch 8");
        d["ref.2000.featurize"] = (r, _, _) => new(Durations.InWords(2000 / r.Speed("gpu", false)), $"2000 images at the {r.Gpu}'s forward speed, batch 64 ({r.Source})");
        foreach (var n in new[] { 16, 512, 2048 })
        {
            d[$"ref.mm.gpu.{n}"] = (r, _, _) => new(Micro(r.MultiplySeconds("gpu", n)), $"{r.Source}: one {n}×{n} multiply on the GPU, matrices already on the card");
            d[$"ref.mm.cpu.{n}"] = (r, _, _) => new(Micro(r.MultiplySeconds("cpu", n)), $"{r.Source}: one {n}×{n} multiply on its CPU");
            d[$"ref.mm.ratio.{n}"] = (r, _, _) => new(Times(r.MultiplySeconds("cpu", n) / r.MultiplySeconds("gpu", n)), $"{r.Source}: its CPU's time over its GPU's, {n}×{n}");
        }

        // The engine's own settings.
        var engine = new LearnDL.Training.Runs.RunOptions { Dataset = "builtin" };
        d["engine.head-iterations"] = (_, _, _) => new(engine.HeadIterationsPerEpoch.ToString(CultureInfo.InvariantCulture), "LearnDL's RunOptions.HeadIterationsPerEpoch: L-BFGS iterations per epoch of the head");
        d["engine.held-out"] = (_, _, _) => new($"{100 * engine.TestFraction:0}%", "LearnDL's RunOptions.TestFraction: the share of each class held out for evaluation");
        d["engine.tile-size"] = (_, _, _) => new($"{LearnDL.Training.Datasets.AerialTileGenerator.Size}×{LearnDL.Training.Datasets.AerialTileGenerator.Size}", "LearnDL's AerialTileGenerator.Size");

        // Counted from ResNet18's architecture.
        d["resnet.conv-outputs"] = (_, _, _) => new($"{ResNet18Work.ConvolutionOutputValues / 1e6:0.0} million numbers", "counted from ResNet18's architecture (ResNet18Work.ConvolutionOutputValues)");
        d["resnet.conv-outputs.mb"] = (_, _, _) => new($"{ResNet18Work.ConvolutionOutputValues * 4 / 1e6:0.0} MB", "ResNet18's convolution outputs for one 224×224 image × 4 bytes (FP32)");
        d["resnet.conv-outputs.b32"] = (_, _, _) => new($"{32 * ResNet18Work.ConvolutionOutputValues * 4 / 1e6:N0} MB", "batch 32 × ResNet18's convolution outputs per image × 4 bytes (FP32)");
        d["resnet.conv-outputs.b64"] = (_, _, _) => new($"{64 * ResNet18Work.ConvolutionOutputValues * 4 / 1e6:N0} MB", "batch 64 × ResNet18's convolution outputs per image × 4 bytes (FP32)");
        d["resnet.weights.mb"] = (_, _, _) => new($"{ResNet18Work.Weights * 4 / 1e6:0} MB", $"ResNet18's {ResNet18Work.Weights:N0} weights × 4 bytes (FP32)");

        // Datasheets.
        foreach (var card in GpuDatasheets.All)
        {
            d[$"ds.{card.Id}.fp32"] = (_, _, _) => new($"{Num(card.Fp32Tflops)} TFLOPS", card.Source);
            d[$"ds.{card.Id}.half"] = (_, _, _) => new(card.HalfWithSparsity
                ? $"{Num(card.HalfTflops)} TFLOPS with sparsity (about {Num(card.HalfTflops / 2)} without)"
                : $"{Num(card.HalfTflops)} TFLOPS", $"{card.Source}: {card.HalfNote}");
            d[$"ds.{card.Id}.memory"] = (_, _, _) => new($"{Num(card.MemoryGb)} GB of {card.MemoryKind}", card.Source);
            d[$"ds.{card.Id}.bandwidth"] = (_, _, _) => new(card.BandwidthGbPerSecond >= 1000 ? $"{Num(card.BandwidthGbPerSecond / 1000)} TB/s" : $"{Num(card.BandwidthGbPerSecond)} GB/s", card.Source);
            if (card != GpuDatasheets.H200)
            {
                d[$"ds.{card.Id}.share"] = (_, _, _) => new($"{100 * card.Fp32Tflops / GpuDatasheets.H200.Fp32Tflops:0}%", $"{card.Source} and {GpuDatasheets.H200.Source}: FP32 peaks");
                d[$"est.{card.Id}.fwd"] = (r, _, _) => new(Rate(GpuDatasheets.EstimateFromRatio(card, r.Speed("gpu", false))),
                    $"estimated from the datasheet ratio: the {r.Gpu}'s measured forward speed × {Num(card.Fp32Tflops)} / {Num(GpuDatasheets.H200.Fp32Tflops)} TFLOPS FP32 (an optimistic estimate)");
                d[$"est.{card.Id}.train"] = (r, _, _) => new(Rate(GpuDatasheets.EstimateFromRatio(card, r.Speed("gpu", true))),
                    $"estimated from the datasheet ratio: the {r.Gpu}'s measured training speed × {Num(card.Fp32Tflops)} / {Num(GpuDatasheets.H200.Fp32Tflops)} TFLOPS FP32 (an optimistic estimate)");
            }
        }
        d["ds.h200.tf32"] = (_, _, _) => new("989 TFLOPS", GpuDatasheets.H200.Source + ": TF32 on its Tensor Cores, given with sparsity");

        // This server.
        d["here.cpu.rate"] = (_, h, _) => h.Cpu is { } c
            ? new(Rate(c.ImagesPerSecond), $"measured on this server: the median of its last {c.Runs} CPU runs")
            : NotYet;
        d["here.cpu.gmacs"] = (_, h, _) => h.Cpu is { } c
            ? new($"{Num(c.ImagesPerSecond * ResNet18Work.ForwardMultiplyAdds / 1e9)} billion multiply-adds a second", $"this server's measured {Rate(c.ImagesPerSecond)} × ResNet-18's multiply-adds per image")
            : NotYet;
        d["here.cpu.2000"] = (_, h, _) => h.Cpu is { } c
            ? new(Durations.InWords(2000 / c.ImagesPerSecond), $"2000 images at this server's measured {Rate(c.ImagesPerSecond)}")
            : NotYet;
        d["here.vs-ref"] = (r, h, _) => h.Cpu is { } c
            ? new(Times(r.Speed("gpu", false) / c.ImagesPerSecond), $"the {r.Gpu}'s forward speed over this server's measured CPU speed")
            : NotYet;
        d["here.loading.rate"] = (_, h, _) => h.LastCpuRun is { LoadingSeconds: > 0 } run
            ? new(Rate(run.Images / run.LoadingSeconds), $"this server's last CPU run: {run.Images} images decoded and resized on one thread in {run.LoadingSeconds:0.0} s (small pictures: tiles or 28×28 Fashion-MNIST; camera photos decode far slower)")
            : NoRunYet;
        d["here.network.share"] = (_, h, _) => h.LastCpuRun is { } run
            ? new($"{100 * run.NetworkShare:0}%", $"this server's last CPU run: {run.NetworkSeconds:0.0} s of {run.TotalSeconds:0.0} s in the network")
            : NoRunYet;

        d["here.cores"] = (_, h, _) => new(Plural.Of(h.Cores, "core"), "this server's logical cores, read when the page is shown");
        d["here.gpu-preparers"] = (_, h, _) => new(Plural.Of(JobSizes.GpuPreparers(h.Cores), "thread"), "LearnDL's FeaturizeParallelism: beside a GPU, every core but one decodes and resizes");
        d["ref.gpu.gmacs"] = (r, _, _) => new($"{Num(r.Speed("gpu", false) * ResNet18Work.ForwardMultiplyAdds / 1e9)} billion multiply-adds a second",
            $"the {r.Gpu}'s measured forward speed at batch 64 × ResNet-18's multiply-adds per image ({r.Source})");
        d["head.per-epoch.2000"] = (_, h, _) => HeadTime.From(h.LastCpuRun) is { } head
            ? new(Durations.InWords(head.Seconds(2000, 1)), head.Source + ", scaled to 2000 images")
            : NoRunYet;

        // Worked out with lesson 8's calculator (TrainingTime's one rule), so the text and the calculator agree.
        d["calc.60k20.ref"] = (r, _, _) => new(Durations.InWords(EveryLayer(r, 60_000, 20, r.Speed("gpu", false), gpu: true)), $"lesson 8's calculator: 60,000 images, 20 epochs, every layer, at the {r.Gpu}'s measured training speed");
        d["calc.60k20.t4"] = (r, _, _) => new(Durations.InWords(EveryLayer(r, 60_000, 20, GpuDatasheets.EstimateFromRatio(GpuDatasheets.T4, r.Speed("gpu", false)), gpu: true)),
            "lesson 8's calculator at the T4's speed estimated from the datasheet ratio, with the reference GPU's measured training cost");
        d["calc.60k20.here"] = (r, h, _) => h.Cpu is { } c
            ? new(Durations.InWords(EveryLayer(r, 60_000, 20, c.ImagesPerSecond, gpu: false)), "lesson 8's calculator at this server's measured CPU speed, with the reference CPU's measured training cost")
            : NotYet;

        // The learner's own card (lesson 8's notebook), where a sentence states a GPU figure.
        d["mine.fwd"] = (r, _, g) => g is null ? None
            : Yours(g, $"{Subject(g)}, measured by you, runs ResNet18 forward at {Rate(g.ForwardImagesPerSecond)}: {Compare(g.ForwardImagesPerSecond, r.Speed("gpu", false), "images a second")} the reference {r.Gpu}'s {Rate(r.Speed("gpu", false))}.");
        d["mine.vs-here"] = (_, h, g) => g is null ? None : h.Cpu is { } c
            ? Yours(g, $"{Subject(g)}, measured by you, runs the network at {Rate(g.ForwardImagesPerSecond)}: {Compare(g.ForwardImagesPerSecond, c.ImagesPerSecond, "images a second")} this server's CPU's {Rate(c.ImagesPerSecond)}.")
            : Yours(g, $"{Subject(g)}, measured by you, runs the network at {Rate(g.ForwardImagesPerSecond)}.");
        d["mine.gmacs"] = (_, h, g) => g is null ? None : h.Cpu is { } c
            ? Yours(g, $"{Subject(g)}, measured by you, sustained {Gmacs(g.ForwardImagesPerSecond)}: {Compare(g.ForwardImagesPerSecond, c.ImagesPerSecond, "multiply-adds")} this server's CPU's {Gmacs(c.ImagesPerSecond)}.")
            : Yours(g, $"{Subject(g)}, measured by you, sustained {Gmacs(g.ForwardImagesPerSecond)}.");
        d["mine.60k20"] = (r, _, g) => g is null
            ? new($"{Durations.InWords(EveryLayer(r, 60_000, 20, GpuDatasheets.EstimateFromRatio(GpuDatasheets.T4, r.Speed("gpu", false)), gpu: true))} on a T4 by the estimate above",
                "lesson 8's calculator at the T4's speed estimated from the datasheet ratio, with the reference GPU's measured training cost")
            : Yours(g, $"{Durations.InWords(TrainingTime.Seconds(60_000, 20, TrainingKind.EveryLayer, g.ForwardImagesPerSecond, g.TrainingCost, null))} on {(g.OnGpu ? $"your {g.Name}" : $"your notebook's CPU ({g.Name})")}, measured by you");
        return d;
    }

    private static readonly CourseNumber None = new("", "");

    private static CourseNumber Yours(LearnerGpu gpu, string text) => new(text, gpu.Source, Mine: true);

    private static string Subject(LearnerGpu gpu) => gpu.OnGpu ? $"Your {gpu.Name}" : $"Your notebook's CPU ({gpu.Name}, no GPU runtime)";

    private static string Gmacs(double imagesPerSecond) => $"{Num(imagesPerSecond * ResNet18Work.ForwardMultiplyAdds / 1e9)} billion multiply-adds a second";

    /// <summary>"12 times fewer images a second than", "3.5 times more multiply-adds than", "about as many images a second as": one value against another, the right way round.</summary>
    internal static string Compare(double value, double other, string what) =>
        Math.Abs(value / other - 1) < 0.05 ? $"about as many {what} as"
        : value < other ? $"{Num(other / value)} times fewer {what} than" : $"{Num(value / other)} times more {what} than";

    private static double EveryLayer(GpuReference reference, int images, int epochs, double forwardPerSecond, bool gpu)
    {
        var cost = TrainingCost.From(reference);
        return TrainingTime.Seconds(images, epochs, TrainingKind.EveryLayer, forwardPerSecond, gpu ? cost.Gpu : cost.Cpu, null);
    }

    private static string Num(double value) => value.ToString(value >= 100 ? "N0" : value >= 10 ? "0.#" : "0.##", CultureInfo.InvariantCulture);
    private static string Rate(double? perSecond) => perSecond is { } v && double.IsFinite(v) ? $"{Num(v)} images a second" : "not in the reference file";
    private static string Times(double? factor) => factor is { } f && double.IsFinite(f) ? $"{Num(f)} times" : "not in the reference file";
    private static string Ratio(double? factor) => factor is { } f && double.IsFinite(f) ? f.ToString("0.0", CultureInfo.InvariantCulture) : "not in the reference file";
    private static string Micro(double? seconds) => seconds is not { } s ? "not in the reference file"
        : s < 1e-3 ? $"{Num(s * 1e6)} µs" : $"{Num(s * 1e3)} ms";
}
