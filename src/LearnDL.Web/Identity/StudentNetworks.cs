using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace LearnDL.Web.Identity;

/// <summary>
/// The network each student's name was made from, kept in memory so the run queue's admission (which takes
/// no await under its lock) and a circuit (which has no reliable HttpContext) can count by it. Stored with
/// the student (<see cref="Data.StudentRecord.JoinedFrom"/>); the instructor never sees it.
/// </summary>
public sealed class StudentNetworks
{
    private readonly ConcurrentDictionary<string, string> _byStudent = new(StringComparer.Ordinal);

    /// <summary>
    /// The network of an address: an IPv4 address itself (a classroom's router shows one for the whole room),
    /// an IPv6 address by its /64 (one household or phone holds a whole /64 and may change address within
    /// it). Null when the address is unknown: then no per-address limit applies.
    /// </summary>
    public static string? Of(IPAddress? address)
    {
        if (address is null) return null;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>The network a student's name was made from, or null (unknown, or not a student).</summary>
    public string? Of(string ownerId) => _byStudent.GetValueOrDefault(ownerId);

    internal void Set(string studentId, string? network)
    {
        if (network is null) _byStudent.TryRemove(studentId, out _);
        else _byStudent[studentId] = network;
    }

    internal void Forget(string studentId) => _byStudent.TryRemove(studentId, out _);
}
