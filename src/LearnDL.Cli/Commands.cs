using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Featurization;
using LearnDL.Training.Precision;
using LearnDL.Training.Runs;
using Spectre.Console;
using LearnDL.Training.Text;

namespace LearnDL.Cli;

/// <summary>The CLI's commands: read arguments, call the engine, print.</summary>
public static class Commands
{
    public static int Doctor(CliArguments cli, DeviceProbe probe, CliOutput output)
    {
        cli.RejectUnknown();
        var r = probe.Report;
        if (output.IsJson) { output.WriteJson(r); return ExitCodes.Success; }
        var table = new Table().Title("learndl doctor").AddColumns("", "");
        table.AddRow("CPU", Markup.Escape(r.CpuSummary));
        table.AddRow("Memory", $"{r.MemoryTotalBytes / 1e9:0.0} GB total, {r.MemoryAvailableBytes / 1e9:0.0} GB available");
        table.AddRow("OS", Markup.Escape(r.OperatingSystem));
        table.AddRow("NVIDIA driver", Markup.Escape(r.NvidiaDriver ?? "not found"));
        table.AddRow("GPUs", Markup.Escape(r.GpuSummary));
        table.AddRow("Runtime build", Markup.Escape(r.RuntimeBuildDescription));
        table.AddRow("Providers compiled in", Markup.Escape(string.Join(", ", r.ProvidersCompiledIn)));
        table.AddRow("CUDA usable", r.CudaUsable ? "[green]yes[/]" : "[red]no[/]");
        table.AddRow("Why", Markup.Escape(r.CudaStatus));
        table.AddRow("INT8 on this CPU", Markup.Escape(r.Int8.Verdict));
        output.Console.Write(table);
        foreach (var advice in r.Advice) output.Console.MarkupLineInterpolated($"- {advice}");
        return ExitCodes.Success;
    }

    public static int Datasets(CliArguments cli, DatasetCatalog catalog, CliOutput output)
    {
        cli.RejectUnknown();
        var list = catalog.List();
        if (output.IsJson) { output.WriteJson(list); return ExitCodes.Success; }
        var table = new Table().AddColumns("Name", "Available", "Images", "Classes");
        foreach (var d in list)
            table.AddRow(Markup.Escape(d.Name), d.Available ? "[green]yes[/]" : "[red]no[/]: " + Markup.Escape(d.UnavailableReason ?? ""),
                d.ImageCount.ToString("N0"), Markup.Escape(string.Join(", ", d.ClassNames)));
        output.Console.Write(table);
        return ExitCodes.Success;
    }

    public static async Task<int> Run(CliArguments cli, RunEngine engine, CliOutput output, CancellationToken cancellationToken)
    {
        // What is left out takes the defaults every run has, as in the launcher and the API.
        var defaults = new RunOptions();
        var options = defaults with
        {
            Dataset = cli.Text("dataset") ?? defaults.Dataset,
            Images = cli.Int("images", defaults.Images, 4, RunSettings.MaxImages),
            Epochs = cli.Int("epochs", defaults.Epochs, 1, RunSettings.MaxEpochs),
            Device = cli.Text("device") is { } device ? ParseDevice(device) : defaults.Device,
            Seed = cli.Int("seed", defaults.Seed, int.MinValue, int.MaxValue),
            TestFraction = cli.Double("test-fraction", defaults.TestFraction, 0, 1),
            SaveModelPath = cli.Text("save-model"),
            Precision = cli.Text("precision") is { } precision
                ? NetworkPrecisions.TryParse(precision, out var parsed) ? parsed : throw new UsageException($"--precision must be fp32 or int8; got '{precision}'.")
                : defaults.Precision,
        };
        cli.RejectUnknown();
        var result = await engine.RunAsync(options, new RunProgressPrinter(output.Progress, output.StdErr, output.IsStdErrTerminal), cancellationToken);
        if (output.IsJson) { output.WriteJson(result); return ExitCodes.Success; }

        var c = output.Console;
        c.MarkupLineInterpolated($"\n[bold]{result.Dataset}[/]: {Plural.Of(result.Images, "image")} ({result.TrainImages} train / {result.TestImages} held out) on the [bold]{result.Device.ToUpperInvariant()}[/] at [bold]{result.Precision.ToUpperInvariant()}[/] ({result.RuntimeBuild} build)");
        c.MarkupLineInterpolated($"[grey]{result.DeviceReason}[/]");
        var stages = new Table().AddColumns("Stage", "Seconds");
        foreach (var s in result.Stages) stages.AddRow(s.Name, s.Seconds.ToString("0.00"));
        stages.AddRow("[bold]total[/]", $"[bold]{result.TotalSeconds:0.00}[/]");
        c.Write(stages);
        var summary = new Table().AddColumns("Measure", "Value");
        summary.AddRow("featurization", $"{result.FeaturizeImagesPerSecond:0.0} images/s ({result.FeaturizeWallSeconds:0.0} s wall)");
        summary.AddRow("end to end", $"{result.ImagesPerSecond:0.0} images/s");
        if (result.FeaturizeCpu is { } cpu) summary.AddRow("cores while featurizing", Markup.Escape(cpu.Describe()));
        summary.AddRow("held-out accuracy (micro)", result.MicroAccuracy.ToString("P1"));
        summary.AddRow("held-out accuracy (macro)", result.MacroAccuracy.ToString("P1"));
        summary.AddRow("log-loss", result.LogLoss.ToString("0.000"));
        if (result.SkippedFiles > 0) summary.AddRow("skipped files", result.SkippedFiles.ToString());
        if (result.ModelPath is { } model) summary.AddRow("model saved", Markup.Escape(model));
        c.Write(summary);
        var perClass = new Table().AddColumns("Class", "Precision", "Recall", "Held out");
        foreach (var k in result.PerClass) perClass.AddRow(Markup.Escape(k.Name), k.Precision.ToString("P0"), k.Recall.ToString("P0"), k.TestImages.ToString());
        c.Write(perClass);
        foreach (var skipped in result.Skipped.Take(MaxSkippedShown))
            c.MarkupLineInterpolated($"[yellow]skipped[/] {skipped.Source} {skipped.Reason}");
        if (result.SkippedFiles > MaxSkippedShown) c.MarkupLineInterpolated($"[yellow]skipped[/] {result.SkippedFiles - MaxSkippedShown} more");
        return ExitCodes.Success;
    }

    public static async Task<int> Bench(CliArguments cli, DatasetCatalog catalog, string dataFolder, DeviceProbe probe, CliOutput output, CancellationToken cancellationToken)
    {
        var images = cli.Int("images", 200, 8, 10_000);
        var preparationImages = cli.Int("prep-images", 2000, 8, 10_000);
        var photos = cli.Int("photos", 32, 1, 1000);
        var device = probe.Choose(ParseDevice(cli.Text("device")));
        var precisions = PrecisionCommands.ParsePrecisions(cli.Text("precision"), device.Device);
        cli.RejectUnknown();
        void Say(string s) => output.Progress.MarkupLineInterpolated($"[grey]bench: {s}[/]");

        var preparation = new Dictionary<string, PreparationSpeed>();
        async Task Prepare(string name, Func<IReadOnlyList<ImageSample>> samples)
        {
            Say($"preparation alone, {name}: one thread, then {Environment.ProcessorCount}");
            preparation[name] = await PreparationBenchmark.RunAsync(samples(), Environment.ProcessorCount, cancellationToken);
        }
        await Prepare("builtin", () => catalog.Open(BuiltinDataset.Name).Select(Math.Min(preparationImages, BuiltinDataset.MaxImages), 7, cancellationToken).Samples);
        if (catalog.List().FirstOrDefault(d => d.Name == FashionMnistDataset.Name) is { Available: true })
            await Prepare("fashionMnist", () => catalog.Open(FashionMnistDataset.Name).Select(preparationImages, 7, cancellationToken).Samples);
        Say($"{Plural.Of(photos, "photo")} of 12 megapixels (drawn and saved on first use)");
        await Prepare("photos", () => SyntheticPhotos.Ensure(catalog.GeneratedFolder, photos, cancellationToken));

        var samples = catalog.Open(BuiltinDataset.Name).Select(images, 7, cancellationToken).Samples;
        var parallelism = FeaturizeParallelism.For(device.Device);
        var batch = device.Device == ComputeDevice.Gpu ? RunEngine.GpuBatchSize : RunEngine.CpuBatchSize;
        var results = new Dictionary<string, BenchmarkResult>();
        var networks = new Dictionary<string, byte[]>();
        foreach (var precision in precisions)
        {
            if (precision == "int8") Say($"the INT8 network ({(File.Exists(Int8Network.PathIn(dataFolder)) ? "cached" : "deriving it first, once: about a minute")})");
            networks[precision] = precision == "int8" ? Int8Network.Load(catalog, dataFolder, cancellationToken: cancellationToken) : ResNet18Model.FusedModel();
            Say($"{Plural.Of(images, "built-in image")} through the {precision.ToUpperInvariant()} network on the {device.Device.ToId().ToUpperInvariant()}");
            using var model = new ResNet18Model(device.Device, networks[precision], parallelism.ThreadsPerCall);
            results[precision] = await FeaturizationBenchmark.RunAsync(model, batch, parallelism, samples, new Progress<string>(Say), cancellationToken);
        }
        var result = results[precisions[0]] with { Preparation = preparation };
        if (precisions.Count > 1 || precisions[0] != "fp32")
        {
            Say("the features of both networks, compared");
            var checkBatches = networks.Count == 2 ? Int8Network.CalibrationBatches(catalog, 50, cancellationToken, PrecisionCommands.CheckSeed) : null;
            var compared = checkBatches is null ? null : FeatureDifference.Between(
                FeatureDifference.Features(networks["fp32"], checkBatches), FeatureDifference.Features(networks["int8"], checkBatches));
            result = result with
            {
                Precisions = results.ToDictionary(r => r.Key, r => new PrecisionSpeed(r.Value.RuntimeOnlyImagesPerSecond, r.Value.PipelineImagesPerSecond, r.Value.Ratio)),
                Int8OverFp32 = results.Count == 2 ? results["int8"].RuntimeOnlyImagesPerSecond / results["fp32"].RuntimeOnlyImagesPerSecond : null,
                MaxFeatureDifference = compared?.MaxAbsDifference,
                Int8Instructions = Int8Support.Detect().Instructions,
                Int8Kernels = networks.TryGetValue("int8", out var int8) ? IntegerKernels.Of(int8) : null,
            };
        }
        if (output.IsJson) { output.WriteJson(result); return ExitCodes.Success; }
        BenchTables.Write(output.Console, result);
        return ExitCodes.Success;
    }

    private const int MaxSkippedShown = 5;

    public static int Classify(CliArguments cli, SafeImageDecoder limits, CliOutput output)
    {
        var modelPath = cli.Text("model") ?? throw new UsageException("classify needs --model PATH.");
        var imagePath = cli.Text("image") ?? throw new UsageException("classify needs --image PATH.");
        cli.RejectUnknown();
        if (!File.Exists(modelPath)) throw new UsageException($"No model file at {modelPath}.");
        if (!File.Exists(imagePath)) throw new UsageException($"No image file at {imagePath}.");
        // The picture is checked before the model and network are loaded: a refused one costs nothing.
        var (bitmap, problem) = limits.Decode(imagePath);
        using var image = bitmap ?? throw new InputRefusedException($"{imagePath} {problem}");
        using var classifier = ImageClassifier.Load(modelPath);
        var (scores, likeness) = classifier.Examine(image);
        if (output.IsJson)
        {
            output.WriteJson(new { image = imagePath, predicted = scores[0].Label, scores, unlikeTrainingData = likeness?.IsUnlikeTrainingData, likeness });
            return ExitCodes.Success;
        }
        foreach (var s in scores.Take(5)) output.Console.MarkupLineInterpolated($"{s.Probability,7:P1}  {s.Label}");
        if (likeness?.Warning is { } warning) output.Console.MarkupLineInterpolated($"[yellow]{warning}[/]");
        return ExitCodes.Success;
    }

    /// <summary>Lesson 2's demonstration as a table: the same multiply, from one scalar thread to the GPU.</summary>
    public static int Parallel(CliArguments cli, DeviceProbe probe, CliOutput output, CancellationToken cancellationToken)
    {
        var gpu = cli.Flag("gpu");
        cli.RejectUnknown();
        if (gpu) probe.Choose(DeviceRequest.Gpu); // says why not, before any work
        using var benchmark = new MatrixMultiplyBenchmark(gpu);
        List<MultiplyMethod> methods = [.. MatrixMultiplyBenchmark.CpuMethods, .. gpu ? [MultiplyMethod.Gpu] : Array.Empty<MultiplyMethod>()];
        var timings = new List<MultiplyTiming>();
        foreach (var timing in benchmark.Run(methods, MatrixMultiplyBenchmark.Sizes, cancellationToken))
        {
            timings.Add(timing);
            output.Progress.MarkupLineInterpolated($"[grey]n={timing.Size,4}  {timing.Method.Title(),-42} {timing.Seconds * 1e3,10:0.000} ms  {timing.GigaflopsPerSecond,7:0.0} GFLOP/s[/]");
        }
        if (output.IsJson) { output.WriteJson(timings); return ExitCodes.Success; }
        var table = new Table().AddColumn("n");
        foreach (var method in methods) table.AddColumn(Markup.Escape(method.Title()) + " (ms)");
        foreach (var size in MatrixMultiplyBenchmark.Sizes)
            table.AddRow([size.ToString(), .. methods.Select(m => (timings.First(t => t.Method == m && t.Size == size).Seconds * 1e3).ToString("0.000"))]);
        output.Console.Write(table);
        return ExitCodes.Success;
    }

    private static DeviceRequest ParseDevice(string? text) =>
        text is null ? DeviceRequest.Auto
        : DeviceNames.TryParse(text, out var device) ? device
        : throw new UsageException($"--device must be cpu, gpu or auto; got '{text}'.");
}
