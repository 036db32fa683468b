using System.Net;
using LearnDL.Web.Identity;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Telemetry;

/// <summary>Who may read /metrics (LearnDL:Metrics).</summary>
public sealed class MetricsOptions
{
    /// <summary>
    /// Networks (CIDR, such as 10.0.5.0/24, or single addresses) whose scrapers may read /metrics without signing in:
    /// where Prometheus runs. Empty: only the instructor, signed in, may.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>Each entry as a network, or the problem with it (a bare address is its own /32 or /128).</summary>
    public static (IPNetwork? Network, string? Problem) Parse(string entry)
    {
        var text = entry.Trim();
        if (IPNetwork.TryParse(text, out var network)) return (network, null);
        if (IPAddress.TryParse(text, out var address)) return (new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128), null);
        return (null, $"LearnDL:Metrics:AllowedNetworks: '{entry}' is not a network such as 10.0.5.0/24 or an address such as 10.0.5.7.");
    }
}

/// <summary>
/// /metrics answers the class's instructor (signed in, as for the dashboard) and scrapers from the configured networks,
/// by the client's address as the rest of the app sees it (after a trusted proxy's forwarded headers). Anyone else is
/// told plainly that it is not for them.
/// </summary>
public sealed class MetricsAccess(IOptions<LearnDLOptions> options)
{
    public const string Refusal = "The class's health metrics are for the instructor. Sign in as the instructor, or ask them to add your " +
        "monitoring server's network to LearnDL:Metrics:AllowedNetworks.";

    private readonly IReadOnlyList<IPNetwork> _networks =
        options.Value.Metrics.AllowedNetworks.Select(n => MetricsOptions.Parse(n).Network).OfType<IPNetwork>().ToList();

    public bool Allows(HttpContext context)
    {
        if (RunOwner.From(context.User) is { IsInstructor: true }) return true;
        if (context.Connection.RemoteIpAddress is not { } address) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return _networks.Any(n => n.Contains(address));
    }
}
