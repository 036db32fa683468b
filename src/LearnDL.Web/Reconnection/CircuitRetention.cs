using Microsoft.AspNetCore.Components.Server;

namespace LearnDL.Web.Reconnection;

/// <summary>What the server keeps of a page whose connection dropped, chosen for a class of up to 300.</summary>
public static class CircuitRetention
{
    public static IServiceCollection AddCircuitRetention(this IServiceCollection services) =>
        services.Configure<CircuitOptions>(o =>
        {
            // A lecture hall's Wi-Fi drops everyone at once: Blazor's default of 100 kept circuits would throw away
            // the other 200 students' pages (they would reload and lose what was on screen). 600 is a class of
            // 300 with a second tab each; a disconnected circuit holds no more memory than the connected one did.
            o.DisconnectedCircuitMaxRetained = 600;
            // Blazor's default, kept on purpose: a Wi-Fi drop or a laptop asleep for a few minutes finds its page
            // as it left it; after that the page reloads itself (wwwroot/js/reconnection.js), and answers and
            // runs are stored, so a longer wait would only hold the memory of students who have left.
            o.DisconnectedCircuitRetentionPeriod = TimeSpan.FromMinutes(3);
        });
}
