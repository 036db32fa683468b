using System.Diagnostics;

namespace LearnDL.Testing;

/// <summary>
/// A machine of the test's own on a real network link: a Linux network namespace joined to this host by a
/// veth pair with addresses of a private /30 (10.251.X.0/30: this host .1, the namespace .2), chosen free
/// on this host, so no other host is ever contacted. Processes started under <see cref="Exec"/> reach this
/// host only over the link, which <see cref="CutAsync"/> and <see cref="HealAsync"/> take down and up
/// (the kernel here has no netem, so a partition is a link down). Needs root and iproute2 (.ci/run installs it);
/// disposing kills what runs inside and deletes the namespace and the link, also after a failed test.
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    private const string Prefix = "ldl";

    public string Name { get; }
    /// <summary>This host's end of the link (what a server listens on for the namespace).</summary>
    public string HostAddress { get; }
    /// <summary>The namespace's end.</summary>
    public string Address { get; }
    private string HostDevice => $"{Name}h";

    private NetworkNamespace(string name, int subnet) =>
        (Name, HostAddress, Address) = (name, $"10.251.{subnet}.1", $"10.251.{subnet}.2");

    /// <summary>The command prefix that runs a program inside the namespace.</summary>
    public IReadOnlyList<string> Exec => ["ip", "netns", "exec", Name];

    public static async Task<NetworkNamespace> CreateAsync()
    {
        await RemoveAbandonedAsync();
        // Names carry this process's id (a later run removes what a killed one left); subnets are those no link here uses.
        var used = await RunAsync("ip", ["-4", "-o", "addr", "show"]);
        var taken = await RunAsync("ip", ["netns", "list"]);
        for (var n = 0; ; n++)
        {
            var subnet = (Environment.ProcessId + n * 37) % 250 + 1;
            var name = $"{Prefix}{Environment.ProcessId}x{n}";
            if (used.Contains($"10.251.{subnet}.", StringComparison.Ordinal) || taken.Contains(name, StringComparison.Ordinal)) continue;
            var space = new NetworkNamespace(name, subnet);
            try
            {
                await RunAsync("ip", ["netns", "add", name]);
                await RunAsync("ip", ["link", "add", space.HostDevice, "type", "veth", "peer", "name", $"{name}n"]);
                await RunAsync("ip", ["link", "set", $"{name}n", "netns", name]);
                await RunAsync("ip", ["addr", "add", $"{space.HostAddress}/30", "dev", space.HostDevice]);
                await RunAsync("ip", ["link", "set", space.HostDevice, "up"]);
                await RunAsync("ip", ["netns", "exec", name, "ip", "addr", "add", $"{space.Address}/30", "dev", $"{name}n"]);
                await RunAsync("ip", ["netns", "exec", name, "ip", "link", "set", $"{name}n", "up"]);
                await RunAsync("ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"]);
                return space;
            }
            catch
            {
                await space.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>A partition: the link goes down; connections across it hear nothing until it is healed.</summary>
    public Task CutAsync() => RunAsync("ip", ["link", "set", HostDevice, "down"]);

    public Task HealAsync() => RunAsync("ip", ["link", "set", HostDevice, "up"]);

    public async ValueTask DisposeAsync()
    {
        await DeleteAsync(Name);
    }

    private static async Task DeleteAsync(string name)
    {
        try
        {
            foreach (var pid in (await RunAsync("ip", ["netns", "pids", name])).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                try { Process.GetProcessById(int.Parse(pid)).Kill(entireProcessTree: true); } catch (ArgumentException) { }
            await RunAsync("ip", ["netns", "del", name]);
        }
        catch (InvalidOperationException) { } // gone already
        // The namespace's end goes with it, and takes the pair; this end is deleted by name should it remain.
        try { await RunAsync("ip", ["link", "del", $"{name}h"]); } catch (InvalidOperationException) { }
    }

    /// <summary>Namespaces a killed test run left behind (its process is gone).</summary>
    private static async Task RemoveAbandonedAsync()
    {
        foreach (var line in (await RunAsync("ip", ["netns", "list"])).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            var x = name.IndexOf('x');
            if (!name.StartsWith(Prefix, StringComparison.Ordinal) || x < 0) continue;
            if (int.TryParse(name[Prefix.Length..x], out var pid) && !Directory.Exists($"/proc/{pid}")) await DeleteAsync(name);
        }
    }

    private static async Task<string> RunAsync(string program, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {await output}{await errors}");
        return await output;
    }
}
