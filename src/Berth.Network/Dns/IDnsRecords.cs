using System.Net;

namespace Berth.Network.Dns;

/// <summary>What a network's resolver knows, asked per query: the names of the containers the client (known by its
/// address) shares a network with, and where everything else goes.</summary>
public interface IDnsRecords
{
    /// <summary>The local answer to <paramref name="question"/> from <paramref name="client"/>: the records (none is
    /// NOERROR with no answer, as docker's for AAAA or MX of a container's name), or null when the name is not one of
    /// the client's networks' and the query is forwarded.</summary>
    DnsLookup? Lookup(IPAddress client, DnsQuestion question);

    /// <summary>The servers a query from <paramref name="client"/> is forwarded to, in order (at most three tried).</summary>
    IReadOnlyList<IPEndPoint> Upstreams(IPAddress client);
}

/// <summary>A local answer: addresses for A/AAAA, names for PTR.</summary>
public sealed record DnsLookup(IReadOnlyList<IPAddress> Addresses, IReadOnlyList<string> Pointers)
{
    public static readonly DnsLookup Empty = new([], []);

    /// <summary>Not answered for this client (not one of the resolver's containers, or one with no way out): REFUSED.</summary>
    public static readonly DnsLookup Refuse = new([], []) { Refused = true };

    public bool Refused { get; init; }
}
