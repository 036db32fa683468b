using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Runs;

namespace LearnDL.Cli;

/// <summary>`learndl`: doctor, datasets, run, bench, classify, parallel, worker.</summary>
public static class Cli
{
    public const string Usage = """
        learndl: CPU vs GPU transfer learning, from the command line.

          learndl doctor   [--json]                 what this machine can run on, and why
          learndl datasets [--json]                 datasets, their classes and availability
          learndl run      [--dataset builtin|fashion-mnist|folder:PATH] [--images N] [--epochs E]
                           [--device cpu|gpu|auto] [--precision fp32|int8] [--seed S] [--test-fraction F] [--save-model PATH] [--json]
          learndl bench    [--images N] [--prep-images N] [--photos N] [--device cpu|gpu|auto] [--precision fp32,int8] [--json]
                           where the time goes: preparation (1 thread, all cores), the network, the pipeline
          learndl quantize [--calibration-images N] [--check-images N] [--json]
                           ResNet18 at INT8: derived here, compared with FP32, cached for runs and bench
          learndl classify --model PATH --image PATH [--json]
          learndl parallel [--gpu] [--json]           a matrix multiply done one, SIMD, all-core, library and GPU ways
          learndl worker   --jobs "<PostgreSQL connection string>" [--device cpu|gpu|auto] [--slots N] [--name NAME]
                           serve a class's runs from this machine (Ctrl+C drains, twice stops its runs)

        Folders come from LearnDL__DataFolder and LearnDL__FashionMnistFolder (environment); pictures
        over LearnDL__MaxImagePixels (default 40,000,000) are not decoded.
        Exit codes: 0 ok, 2 bad arguments, dataset or picture, 3 device not usable, 130 cancelled.
        """;

    private static readonly HashSet<string> Flags = ["json", "help", "gpu"];

    /// <param name="cancellationToken">The first Ctrl+C: a run stops and reports; a worker drains.</param>
    /// <param name="stopNow">The second Ctrl+C, for a worker: its runs stop now.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken,
        CancellationToken stopNow = default)
    {
        try
        {
            var cli = new CliArguments(args, Flags);
            var command = cli.Command;
            if (cli.Flag("help") || command is "help" or "--help" or "-h")
            {
                await stdout.WriteLineAsync(Usage);
                return ExitCodes.Success;
            }
            // Said at once, before ONNX Runtime, a model or the probe load (seconds): the user sees it started.
            // On stderr, so that --json leaves stdout one JSON document.
            if (FirstLine(command) is { } doing) await stderr.WriteLineAsync($"learndl {command}: {doing}");
            var options = ReadDatasetOptions();
            var probe = new DeviceProbe();
            var output = new CliOutput(stdout, stderr, cli.Flag("json"));
            return command switch
            {
                "doctor" => Commands.Doctor(cli, probe, output),
                "datasets" => Commands.Datasets(cli, new DatasetCatalog(options), output),
                "run" => await Commands.Run(cli, new RunEngine(new DatasetCatalog(options), probe), output, cancellationToken),
                "bench" => await Commands.Bench(cli, new DatasetCatalog(options), options.DataFolder, probe, output, cancellationToken),
                "quantize" => PrecisionCommands.Quantize(cli, new DatasetCatalog(options), options.DataFolder, output, cancellationToken),
                "classify" => Commands.Classify(cli, new SafeImageDecoder(options.MaxImagePixels), output),
                "parallel" => Commands.Parallel(cli, probe, output, cancellationToken),
                "worker" => await WorkerCommand.RunAsync(cli, options, probe, output, cancellationToken, stopNow),
                _ => throw new UsageException($"Unknown command '{command}'."),
            };
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}\n\n{Usage}");
            return ExitCodes.BadInput;
        }
        catch (InputRefusedException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (ArgumentException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (DatasetException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (DeviceUnavailableException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.DeviceUnavailable;
        }
        catch (RunCancelledException e)
        {
            await stderr.WriteLineAsync($"cancelled: {e.Message}");
            return ExitCodes.Cancelled;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("cancelled.");
            return ExitCodes.Cancelled;
        }
        catch (System.Data.Common.DbException e)
        {
            await stderr.WriteLineAsync($"error: the jobs database (PostgreSQL) answered: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (LearnDL.Workers.WorkerRefusedException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>What a command is about to do, said before its slow start; null for an unknown command.</summary>
    private static string? FirstLine(string? command) => command switch
    {
        "doctor" => "checking this machine's CPU, memory, GPU and ONNX Runtime...",
        "datasets" => "looking for the datasets...",
        "run" => "starting a run: loading ONNX Runtime, ResNet18 and the images...",
        "bench" => "measuring where the time goes: preparation, then the network (a minute or more)...",
        "classify" => "loading the picture and the model...",
        "quantize" => "deriving ResNet18 at INT8 and checking it against FP32 (a few minutes)...",
        "parallel" => "timing the same matrix multiply done several ways...",
        "worker" => "checking this machine's device before joining the class...",
        _ => null,
    };

    private static DatasetOptions ReadDatasetOptions()
    {
        var options = new DatasetOptions();
        if (Environment.GetEnvironmentVariable("LearnDL__DataFolder") is { Length: > 0 } data) options.DataFolder = data;
        if (Environment.GetEnvironmentVariable("LearnDL__FashionMnistFolder") is { Length: > 0 } fashion) options.FashionMnistFolder = fashion;
        if (Environment.GetEnvironmentVariable("LearnDL__MaxImagePixels") is { Length: > 0 } pixels)
            options.MaxImagePixels = long.TryParse(pixels, out var max) && max > 0 ? max : throw new UsageException($"LearnDL__MaxImagePixels must be a number of pixels; got '{pixels}'.");
        return options;
    }
}
