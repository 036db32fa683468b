using LearnDL.Cli;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Training;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C asks the run to stop and report; a second one kills the process as usual.
    if (cancel.IsCancellationRequested) return;
    e.Cancel = true;
    cancel.Cancel();
};
return await Cli.RunAsync(args, Console.Out, Console.Error, cancel.Token);
