using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LearnDL.Testing.Lti;

// TEMPORARY: the core of the test platform comes with the LTI foundation (branch lti-core); removed at the merge.
public sealed partial class TestPlatform : IAsyncDisposable
{
    private WebApplication? _app;
    public string BaseUrl { get; private set; } = "";
    public string Issuer => BaseUrl;
    public string ClientId { get; } = "learndl-client";
    public string DeploymentId { get; } = "deployment-1";

    public static async Task<TestPlatform> StartAsync()
    {
        var platform = new TestPlatform();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        platform._app = builder.Build();
        platform.MapServices(platform._app);
        await platform._app.StartAsync();
        platform.BaseUrl = platform._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return platform;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
