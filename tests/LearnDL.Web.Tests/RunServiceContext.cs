using Bunit;
using LearnDL.Training.Compute;
using LearnDL.Web.Data;
using LearnDL.Web.Datasets;
using LearnDL.Web.RunService;
using LearnDL.Web.Workers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace LearnDL.Web.Tests;

/// <summary>
/// bUnit over the app's real run service and a real SQLite file in a folder of its own, rendered as the
/// app renders (Interactive Server, circuit connected). A test class adds what else its components need in
/// its constructor; the database is created once everything is registered.
/// </summary>
public abstract class RunServiceContext : BunitContext, IAsyncLifetime
{
    private readonly TempFolder _temp = new();

    protected RunServiceContext(Action<LearnDLOptions>? configure = null)
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        var options = new LearnDLOptions { DataFolder = _temp.Path };
        configure?.Invoke(options);
        Services.AddSingleton(Options.Create(options));
        Services.AddSingleton(TimeProvider.System);
        Services.AddDatasets();
        Services.AddSingleton(new DeviceProbe());
        Services.AddDbContextFactory<LearnDbContext>(o => o.UseLearnDatabase(Path.Combine(_temp.Path, "test.db")));
        Services.AddLogging();
        Services.AddWorkers(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        Services.AddRunService();
        Services.AddMudServices(o => o.SnackbarConfiguration.ShowTransitionDuration = 0);
    }

    /// <summary>Once every service is registered (the renderer resolves them): render as the app does, and create the database.</summary>
    public virtual async Task InitializeAsync()
    {
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        await Services.GetRequiredService<RunStore>().InitializeAsync();
    }

    // MudBlazor's services are only async-disposable, so the context must be disposed asynchronously.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        _temp.Dispose();
    }
}
