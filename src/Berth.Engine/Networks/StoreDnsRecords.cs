using System.Net;
using Berth.Engine.Containers;
using Berth.Network.Dns;
using Berth.Storage;

namespace Berth.Engine.Networks;

/// <summary>The names a network's resolver answers, read from the store: every running container's endpoints, each
/// known by its container's name, its aliases on that network, its short ID and its hostname (docker's DNSNames),
/// also as <c>NAME.NETWORK</c>. A client is a container known by one of its addresses, and sees the names of every
/// network it is on (docker's, for a container on several). The store is read again only when another process has
/// committed (SQLite's data_version), so a container started or stopped is seen by the next query, and a query costs
/// a lookup in memory otherwise.</summary>
internal sealed class StoreDnsRecords(Store store, string resolvConfPath) : IDnsRecords
{
    private readonly Lock _gate = new();
    private long _version = long.MinValue;
    private Snapshot _snapshot = new([], new Dictionary<IPAddress, Member>());
    private (DateTime Stamp, IReadOnlyList<IPEndPoint> Servers) _host = (DateTime.MinValue, []);

    /// <summary>One container's endpoint on one network, with the names it answers to there.</summary>
    private sealed record Member(string ContainerId, string NetworkId, string NetworkName, bool Internal, IPAddress Address, IReadOnlyList<string> Names, IReadOnlyList<string> Dns);

    private sealed record Snapshot(IReadOnlyList<Member> All, IReadOnlyDictionary<IPAddress, Member> ByAddress);

    public DnsLookup? Lookup(IPAddress client, DnsQuestion question)
    {
        var snapshot = Current();
        if (!snapshot.ByAddress.TryGetValue(client, out var me)) return DnsLookup.Refuse;
        var mine = snapshot.All.Where(m => m.ContainerId == me.ContainerId).ToList();
        var networks = mine.Select(m => m.NetworkId).ToHashSet(StringComparer.Ordinal);
        var visible = snapshot.All.Where(m => networks.Contains(m.NetworkId)).ToList();
        var name = question.Name.TrimEnd('.');
        if (question.Type == DnsMessage.TypePtr && DnsMessage.ReverseIPv4(name) is { } ip)
        {
            var owner = visible.FirstOrDefault(m => m.Address.Equals(ip));
            if (owner is not null) return new DnsLookup([], [$"{owner.Names[0]}.{owner.NetworkName}"]);
        }
        else
        {
            var matches = visible.Where(m => m.Names.Any(n => name.Equals(n, StringComparison.OrdinalIgnoreCase)
                                                             || name.Equals($"{n}.{m.NetworkName}", StringComparison.OrdinalIgnoreCase))).ToList();
            if (matches.Count > 0)
                return question.Type == DnsMessage.TypeA ? new DnsLookup(matches.Select(m => m.Address).Distinct().ToList(), []) : DnsLookup.Empty;
        }
        // A container only on internal networks has no way out, for names either (docker's resolver does not forward
        // for it).
        return mine.All(m => m.Internal) ? DnsLookup.Refuse : null;
    }

    public IReadOnlyList<IPEndPoint> Upstreams(IPAddress client)
    {
        var snapshot = Current();
        if (snapshot.ByAddress.TryGetValue(client, out var me) && me.Dns.Count > 0)
            return me.Dns.Select(d => new IPEndPoint(IPAddress.Parse(d), 53)).ToList();
        return HostServers();
    }

    /// <summary>The host's nameservers (all of them: the resolver runs in berth's namespace, where a loopback one such
    /// as 127.0.0.53 is reachable, as docker 28 forwards from the host's namespace), read again when the file changed;
    /// Google's public servers when it has none, as docker.</summary>
    private IReadOnlyList<IPEndPoint> HostServers()
    {
        var stamp = File.Exists(resolvConfPath) ? File.GetLastWriteTimeUtc(resolvConfPath) : DateTime.MinValue;
        lock (_gate)
        {
            if (stamp == _host.Stamp && _host.Servers.Count > 0) return _host.Servers;
            var text = File.Exists(resolvConfPath) ? File.ReadAllText(resolvConfPath) : "";
            var servers = Berth.Network.ResolvConf.Nameservers(text)
                .Select(s => IPAddress.TryParse(s.Split('%')[0], out var a) ? a : null).OfType<IPAddress>().Select(a => new IPEndPoint(a, 53)).ToList();
            if (servers.Count == 0) servers = [new IPEndPoint(IPAddress.Parse("8.8.8.8"), 53), new IPEndPoint(IPAddress.Parse("8.8.4.4"), 53)];
            _host = (stamp, servers);
            return servers;
        }
    }

    private Snapshot Current()
    {
        lock (_gate)
        {
            var version = store.Metadata.DataVersion();
            if (version == _version) return _snapshot;
            _snapshot = Read();
            _version = version;
            return _snapshot;
        }
    }

    private Snapshot Read()
    {
        var networks = store.Metadata.ListNetworks().ToDictionary(n => n.Id, StringComparer.Ordinal);
        var all = new List<Member>();
        foreach (var group in store.Metadata.ListEndpoints().GroupBy(e => e.ContainerId, StringComparer.Ordinal))
        {
            if (store.Metadata.GetContainer(group.Key) is not { } row) continue;
            var request = ContainerService.ConfigOf(row).Request;
            var attachments = store.Metadata.AttachmentsOfContainer(row.Id).ToDictionary(a => a.NetworkId, StringComparer.Ordinal);
            foreach (var e in group)
            {
                if (!networks.TryGetValue(e.NetworkId, out var network) || !IPAddress.TryParse(e.Address, out var address)) continue;
                // The default bridge has no name resolution, as docker's.
                if (network.Name == NetworkService.DefaultNetwork) continue;
                var aliases = attachments.TryGetValue(e.NetworkId, out var a) ? a.Aliases : [];
                all.Add(new Member(row.Id, network.Id, network.Name, network.Internal, address, NetworkService.DnsNames(row, request, aliases), request.Dns));
            }
        }
        var byAddress = new Dictionary<IPAddress, Member>();
        foreach (var m in all) byAddress.TryAdd(m.Address, m);
        return new Snapshot(all, byAddress);
    }
}
