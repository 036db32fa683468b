using System.Net;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace LearnDL.Web.Identity;

/// <summary>
/// The network address of whoever is behind this circuit or request, as quotas across names count it:
/// an IPv4 address, or an IPv6 host's /64 (one home or lab network hands its hosts any address in it).
/// On a circuit it is the live connection's address, read when the connection comes up (and again after
/// a reconnect), from the request that opened it, after the forwarded-headers middleware when a proxy is
/// trusted. Nothing the browser sends in the circuit can change it.
/// </summary>
public sealed class ClientAddress(IHttpContextAccessor http)
{
    public const string Unknown = "unknown";
    private string? _circuit;

    /// <summary>The address, or <see cref="Unknown"/> when there is none (a test host, a script calling a service).</summary>
    public string Value => _circuit ?? Of(http.HttpContext?.Connection.RemoteIpAddress);

    /// <summary>Called as the circuit's connection comes up: the request that opened it is the current one.</summary>
    internal void CaptureConnection()
    {
        if (http.HttpContext?.Connection.RemoteIpAddress is { } address) _circuit = Of(address);
    }

    /// <summary>Grouped as the names' networks are (<see cref="StudentNetworks.Of(IPAddress?)"/>).</summary>
    public static string Of(IPAddress? address) => StudentNetworks.Of(address) ?? Unknown;
}

/// <summary>Tells each circuit's <see cref="ClientAddress"/> where its connection comes from.</summary>
internal sealed class ClientAddressCircuitHandler(ClientAddress address) : CircuitHandler
{
    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        address.CaptureConnection();
        return Task.CompletedTask;
    }
}
