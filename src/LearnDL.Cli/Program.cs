using System.Runtime.InteropServices;
using LearnDL.Cli;
using LearnDL.Training.Compute;
using LearnDL.Training.Datasets;
using LearnDL.Training.Runs;

using var cancel = new CancellationTokenSource();
using var stopNow = new CancellationTokenSource();
var worker = args.Length > 0 && args[0] == "worker";
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C asks the run to stop and report (a worker: to drain); a second one kills the process
    // as usual, except a worker's, which stops its runs and leaves the class's register first.
    if (!cancel.IsCancellationRequested) cancel.Cancel();
    else if (worker && !stopNow.IsCancellationRequested) stopNow.Cancel();
    else return;
    e.Cancel = true;
};
// A service manager's stop (SIGTERM) drains a worker as the first Ctrl+C does.
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    if (!worker) return;
    context.Cancel = true;
    cancel.Cancel();
});
return await Cli.RunAsync(args, Console.Out, Console.Error, cancel.Token, stopNow.Token);
