using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Workers;
using Spectre.Console;

namespace LearnDL.Cli;

/// <summary>`learndl worker`: this machine serves runs for a class's web app, through the PostgreSQL both can reach.</summary>
public static class WorkerCommand
{
    public static async Task<int> RunAsync(CliArguments cli, DatasetOptions datasets, DeviceProbe probe, CliOutput output,
        CancellationToken drain, CancellationToken stopNow)
    {
        var jobs = cli.Text("jobs") ?? Environment.GetEnvironmentVariable("ConnectionStrings__Jobs")
            ?? throw new UsageException("learndl worker needs --jobs \"<PostgreSQL connection string>\" (or ConnectionStrings__Jobs in the environment).");
        var deviceText = cli.Text("device") ?? "cpu";
        var device = DeviceNames.TryParse(deviceText, out var parsed) ? parsed : throw new UsageException($"--device must be cpu, gpu or auto; got '{deviceText}'.");
        var settings = new WorkerSettings(jobs, device, cli.Int("slots", 1, 1, 64), cli.Text("name"));
        cli.RejectUnknown();
        await WorkerHost.RunAsync(settings, datasets, probe, line => output.Progress.MarkupLineInterpolated($"[grey]{line}[/]"), drain, stopNow);
        return ExitCodes.Success;
    }
}
