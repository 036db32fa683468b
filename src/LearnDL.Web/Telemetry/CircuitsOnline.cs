using System.Collections.Concurrent;
using LearnDL.Web.Identity;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace LearnDL.Web.Telemetry;

/// <summary>Who is connected now: circuits whose connection is up, and the distinct students behind them.</summary>
public sealed class CircuitsOnline
{
    private readonly ConcurrentDictionary<string, int> _students = new(StringComparer.Ordinal);
    private int _circuits;

    public int Circuits => Volatile.Read(ref _circuits);
    public int Students => _students.Count;

    internal void Up(RunOwner? owner)
    {
        Interlocked.Increment(ref _circuits);
        if (owner is { Role: OwnerRole.Student }) _students.AddOrUpdate(owner.Id, 1, (_, n) => n + 1);
    }

    internal void Down(RunOwner? owner)
    {
        Interlocked.Decrement(ref _circuits);
        if (owner is not { Role: OwnerRole.Student }) return;
        // The last of a student's tabs going down takes them off the count.
        while (_students.TryGetValue(owner.Id, out var n))
            if (n <= 1 ? _students.TryRemove(new(owner.Id, n)) : _students.TryUpdate(owner.Id, n - 1, n)) return;
    }
}

/// <summary>One per circuit: counts its connection up and down once each (a reconnect counts again), and its close.</summary>
internal sealed class CircuitsOnlineHandler(CircuitsOnline online, IHttpContextAccessor http) : CircuitHandler
{
    private RunOwner? _owner;
    private bool _up;

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (_up) return Task.CompletedTask;
        // The request that opened (or reopened) the connection carries who it is, as for ClientAddress.
        _owner ??= http.HttpContext?.User is { } user ? RunOwner.From(user) : null;
        _up = true;
        online.Up(_owner);
        return Task.CompletedTask;
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken) => GoneAsync();

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken) => GoneAsync();

    private Task GoneAsync()
    {
        if (!_up) return Task.CompletedTask;
        _up = false;
        online.Down(_owner);
        return Task.CompletedTask;
    }
}
