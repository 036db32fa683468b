using LearnDL.Training.Compute;
using LearnDL.Training.Runs;
using LearnDL.Web.Data;
using LearnDL.Web.Identity;
using LearnDL.Web.RunService;

namespace LearnDL.Web.Features.Runs;

/// <summary>
/// "Run it again" for a run that did not finish through no fault of its request (its worker died, the
/// server stopped, it failed): the same request, queued for whoever presses the button.
/// </summary>
public sealed class RunAgain(IRunQueue queue)
{
    /// <summary>The ends worth trying again; a completed run has its results, a cancelled one was stopped on purpose.</summary>
    public static bool Offers(RunStatus status) => status is RunStatus.Interrupted or RunStatus.Failed;

    /// <summary>The request the run was admitted with: dataset, images, epochs, the device asked for (not the one it got), seed; a shared Try-it stays shared, so a class pressing it again makes one run.</summary>
    public static RunSettings RequestFor(RunRecord run) =>
        run.Settings ?? throw new RunRejectedException([$"This run asked for a device this server does not know ('{run.DeviceRequested}'): start a new one from the launcher."]);

    /// <summary>Queues it for <paramref name="owner"/>, or throws <see cref="RunRejectedException"/> (a limit, a dataset gone) as the launcher does.</summary>
    public Task<Admission> SubmitAsync(RunRecord run, RunOwner owner) => queue.SubmitAsync(RequestFor(run), owner);
}
