using LearnDL.Training.Compute;
using LearnDL.Web.RunService;
using Microsoft.Extensions.DependencyInjection;

namespace LearnDL.Web.Tests;

/// <summary>
/// One data folder, and the class-mode apps started on it one after another, as a server is
/// restarted: what a restart must not lose is checked by stopping one app and starting the next.
/// </summary>
public sealed class Restarts : IDisposable
{
    public const string Passphrase = "teach-the-class-2026";
    private readonly TempFolder _temp = new();
    private readonly List<IDisposable> _apps = [];

    public string DataFolder => _temp.Path;

    /// <summary>A class-mode app on the data folder, started.</summary>
    public LearnDLFactory Start(params (string Key, string Value)[] settings)
    {
        var app = New(settings);
        _ = app.CreateClient();
        return app;
    }

    /// <summary>A class-mode app on the data folder, not started yet (to be changed further first); disposed with the rest.</summary>
    public LearnDLFactory New(params (string Key, string Value)[] settings)
    {
        var app = new LearnDLFactory(_temp.Path, [("LearnDL:Class:InstructorPassphrase", Passphrase), .. settings]);
        _apps.Add(app);
        return app;
    }

    /// <summary>Stops an app the way the host does: the workers stop, nothing else is cleaned up.</summary>
    public void Stop(LearnDLFactory app)
    {
        _apps.Remove(app);
        app.Dispose();
    }

    public static LaneView Cpu(LearnDLFactory app) =>
        app.Services.GetRequiredService<IRunQueue>().View().Lanes.Single(l => l.Device == ComputeDevice.Cpu);

    public void Dispose()
    {
        foreach (var app in _apps) app.Dispose();
        _temp.Dispose();
    }
}
