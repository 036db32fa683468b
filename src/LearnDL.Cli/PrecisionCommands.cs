using System.Diagnostics;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Featurization;
using LearnDL.Training.Precision;
using Spectre.Console;

namespace LearnDL.Cli;

/// <summary>`learndl quantize`: ResNet18 at INT8, derived here, checked against FP32, and cached for runs.</summary>
public static class PrecisionCommands
{
    /// <summary>Images (built-in, another seed than calibration's) on which every derived network is compared with FP32.</summary>
    public const int CheckSeed = 5;

    public sealed record MethodResult(QuantizationSummary Summary, FeatureDifference Difference, double DeriveSeconds);

    public sealed record QuantizeReport(
        int FoldedBatchNorms, FeatureDifference Folded, IReadOnlyDictionary<string, MethodResult> Methods, string Chosen,
        IntegerKernels IntegerKernels, long Fp32Bytes, long Int8Bytes, string Path, Int8Support Cpu);

    public static int Quantize(CliArguments cli, DatasetCatalog catalog, string dataFolder, CliOutput output, CancellationToken cancellationToken)
    {
        var calibration = cli.Int("calibration-images", Int8Network.DefaultCalibrationImages, 20, 2000);
        var check = cli.Int("check-images", 100, 10, 2000);
        cli.RejectUnknown();
        void Say(string s) => output.Progress.MarkupLineInterpolated($"[grey]quantize: {s}[/]");

        Say($"{check} built-in images to compare the networks on");
        var checkBatches = Int8Network.CalibrationBatches(catalog, check, cancellationToken, seed: CheckSeed);
        var fp32 = ResNet18Model.FusedModel();
        var reference = FeatureDifference.Features(fp32, checkBatches);

        Say("lifting the graph to opset 13 and folding batch normalisation into the convolutions");
        var folded = FoldedNetwork.Of(fp32);
        var foldedDifference = FeatureDifference.Between(reference, FeatureDifference.Features(folded.Model, checkBatches));
        var calibrationBatches = Int8Network.CalibrationBatches(catalog, calibration, cancellationToken);

        var methods = new Dictionary<string, MethodResult>();
        var models = new Dictionary<string, byte[]>();
        foreach (var method in Enum.GetValues<CalibrationMethod>())
        {
            Say($"calibrating on {calibration} built-in images ({method}) and quantizing");
            var clock = Stopwatch.StartNew();
            var (model, summary) = Int8Network.Derive(folded, calibrationBatches, method, cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            var name = Name(method);
            methods[name] = new(summary, FeatureDifference.Between(reference, FeatureDifference.Features(model, checkBatches)), seconds);
            models[name] = model;
        }
        // The method whose features stay closest to FP32's, image by image, is the one runs use.
        var chosen = methods.MaxBy(m => m.Value.Difference.MeanCosine).Key;
        var path = Int8Network.PathIn(dataFolder);
        Int8Network.Save(models[chosen], path);
        Say("asking ONNX Runtime which kernels it runs");
        var kernels = IntegerKernels.Of(models[chosen]);
        var report = new QuantizeReport(folded.FoldedBatchNorms, foldedDifference, methods, chosen, kernels, fp32.Length, models[chosen].Length, path, Int8Support.Detect());
        if (output.IsJson) { output.WriteJson(report); return ExitCodes.Success; }

        var c = output.Console;
        c.MarkupLineInterpolated($"Folded {folded.FoldedBatchNorms} batch normalisations into their convolutions: features differ from the original by at most [bold]{foldedDifference.MaxAbsDifference:0.###E+0}[/] ({foldedDifference.RelativeDifference:0.###E+0} of the largest feature) on {check} images.");
        var table = new Table().Title($"INT8 against FP32 on {check} built-in images").AddColumns("Calibration", "Max feature difference", "Relative", "Mean cosine", "Derived in");
        foreach (var (name, m) in methods)
            table.AddRow(name + (name == chosen ? " [green](used)[/]" : ""), m.Difference.MaxAbsDifference.ToString("0.000"), m.Difference.RelativeDifference.ToString("P1"),
                m.Difference.MeanCosine.ToString("0.00000"), $"{m.DeriveSeconds:0} s");
        c.Write(table);
        if (kernels.RunsOnIntegers) c.MarkupLineInterpolated($"ONNX Runtime runs it [green]{kernels.Describe()}[/].");
        else c.MarkupLineInterpolated($"ONNX Runtime runs it [red]{kernels.Describe()}[/].");
        c.MarkupLineInterpolated($"On disk: {fp32.Length / 1e6:0.0} MB at FP32, {models[chosen].Length / 1e6:0.0} MB at INT8. Saved as {Markup.Escape(path)}.");
        c.MarkupLineInterpolated($"{report.Cpu.Verdict}");
        return ExitCodes.Success;
    }

    public static string Name(CalibrationMethod method) => method == CalibrationMethod.MinMax ? "minMax" : "percentile";

    /// <summary>`--precision fp32,int8` as a list; INT8 is refused on the GPU, which has no INT8 path for this network.</summary>
    public static IReadOnlyList<string> ParsePrecisions(string? text, ComputeDevice device)
    {
        var list = (text ?? "fp32").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => p.ToLowerInvariant()).Distinct().ToList();
        if (list.Count == 0 || list.Any(p => p is not ("fp32" or "int8")))
            throw new UsageException($"--precision takes fp32, int8 or both (fp32,int8); got '{text}'.");
        if (device == ComputeDevice.Gpu && list.Contains("int8"))
            throw new UsageException("INT8 runs on the CPU only: ONNX Runtime's CUDA provider has no INT8 path for this network. Use --device cpu.");
        return list;
    }
}
