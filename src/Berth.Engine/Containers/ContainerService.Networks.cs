using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Engine.Networks;
using Berth.Oci.Errors;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

/// <summary>What <c>network connect</c> (or a create joining several networks) asks for the endpoint.</summary>
public sealed record EndpointRequest
{
    /// <summary><c>--alias</c>: names the container also answers to on that network.</summary>
    [JsonPropertyName("aliases")] public IReadOnlyList<string> Aliases { get; init; } = [];
    /// <summary><c>--ip</c>: the IPv4 address the container gets on that network (every time it starts).</summary>
    [JsonPropertyName("ipv4Address")] public string? IPv4Address { get; init; }
    /// <summary><c>--ip6</c>: the IPv6 address likewise.</summary>
    [JsonPropertyName("ipv6Address")] public string? IPv6Address { get; init; }
    /// <summary>The endpoint's MAC address (API 1.44's EndpointSettings.MacAddress, <c>--network name=N,mac-address=M</c>).</summary>
    [JsonPropertyName("macAddress")] public string? MacAddress { get; init; }
}

/// <summary>One more network a container is created on (<see cref="ContainerRequest.MoreNetworks"/>).</summary>
public sealed record NetworkEndpointRequest
{
    [JsonPropertyName("network")] public required string Network { get; init; }
    [JsonPropertyName("endpoint")] public EndpointRequest Endpoint { get; init; } = new();
}

public sealed partial class ContainerService
{
    /// <summary>A container's networks in the order it joined them (eth0, eth1, …), with its membership of each; none
    /// for <c>--network none|host</c>. NotFound when one was removed since (docker's start fails the same way).</summary>
    internal IReadOnlyList<(AttachmentRow Attachment, NetworkRow Network)> NetworksOf(ContainerRow row)
    {
        var config = ConfigOf(row);
        if (NetworkService.IsBuiltinMode(config.Request.Network)) return [];
        IReadOnlyList<AttachmentRow> attachments = config.NetworksRecorded
            ? Store.Metadata.AttachmentsOfContainer(row.Id)
            : [new AttachmentRow { ContainerId = row.Id, NetworkId = Networks.Resolve(config.Request.Network).Id, Aliases = config.Request.NetworkAliases }];
        return attachments.Select(a => (a, Store.Metadata.GetNetwork(a.NetworkId) ?? throw BerthException.NotFound($"network {a.NetworkId} not found"))).ToList();
    }

    /// <summary>The names of the networks a container is on, in order (ps's NETWORKS, the list's NetworkSettings):
    /// its mode for none, host and container:…; a network removed since is left out.</summary>
    public IReadOnlyList<string> NetworkNamesOf(ContainerRow row)
    {
        var mode = ConfigOf(row).Request.Network;
        if (NetworkService.IsBuiltinMode(mode) || mode.Length == 0) return [mode is "" ? "none" : mode];
        return [.. NetworksStillThere(row).Select(n => n.Name)];
    }

    /// <summary>The networks of a container of a network mode (not none, host or container:…), in the order it joined
    /// them; a network removed since is left out.</summary>
    private IReadOnlyList<NetworkRow> NetworksStillThere(ContainerRow row)
    {
        try
        {
            return [.. NetworksOf(row).Select(n => n.Network)];
        }
        catch (BerthException e) when (e.Kind == ErrorKind.NotFound)
        {
            return [.. Store.Metadata.AttachmentsOfContainer(row.Id).Select(a => Store.Metadata.GetNetwork(a.NetworkId)).OfType<NetworkRow>()];
        }
    }

    /// <summary>At start, once the init exists (so its network namespace does) and before its command runs: connects
    /// the namespace to each of the container's networks (eth0, eth1, … in the order it joined them; the default
    /// route via the gateway network), publishes the ports on the first, makes sure every user network's resolver
    /// answers, and writes the container's hosts lines (<c>IP\tHOSTNAME</c> per network, as docker) and resolv.conf.
    /// A failure leaves the rest to the caller's cleanup, which releases every endpoint.</summary>
    private void ConnectNetworks(ContainerRow row, int initPid)
    {
        var config = ConfigOf(row);
        var request = config.Request;
        if (request.Network is "none" or "host" && (request.IPv4Address ?? request.IPv6Address) is not null)
            throw BerthException.Invalid("user specified IP address is supported on user defined networks only");
        var networks = NetworksOf(row);
        if (networks.Count == 0) return;
        var gateway = NetworkService.GatewayNetwork(networks.Select(n => n.Network));
        var netns = $"/proc/{initPid}/ns/net";
        var endpoints = new List<EndpointRow>();
        for (var i = 0; i < networks.Count; i++)
        {
            var network = networks[i].Network;
            // --ip/--ip6/--mac-address: the membership's own, else (the network --network named) the request's.
            var attachment = networks[i].Attachment;
            var addresses = attachment.IPv4Address is not null || attachment.IPv6Address is not null || attachment.MacAddress is not null
                ? new AddressRequest { IPv4Address = attachment.IPv4Address, IPv6Address = attachment.IPv6Address, MacAddress = attachment.MacAddress }
                : i == 0 ? new AddressRequest { IPv4Address = request.IPv4Address, IPv6Address = request.IPv6Address, MacAddress = request.MacAddress } : null;
            var endpoint = Networks.Connect(row.Id, network, netns, $"eth{i}", defaultRoute: network.Id == gateway?.Id, addresses);
            endpoints.Add(endpoint);
            if (i > 0) continue;
            var requests = request.Publish.SelectMany(Berth.Network.Ports.PortSpec.Parse).ToList();
            // -P: every exposed port not published by -p, on a random host port.
            if (request.PublishAll)
                foreach (var key in (config.ExposedPorts ?? []).Where(k => requests.All(r => r.Key != k)))
                {
                    var slash = key.IndexOf('/');
                    requests.Add(new Berth.Network.Ports.PortRequest("", 0, 0, int.Parse(key[..slash], System.Globalization.CultureInfo.InvariantCulture), key[(slash + 1)..]));
                }
            Networks.Publish(row.Id, row.Name, endpoint, network, requests);
        }
        foreach (var (_, network) in networks) NetworkResolver.EnsureRunning(Options, network);
        WriteHosts(row, endpoints);
        WriteResolvConf(row, networks.Select(n => n.Network));
    }

    /// <summary>The container's hosts file with one <c>IP\tNAMES</c> line per endpoint (its own lines of earlier runs
    /// replaced), written in place: the file is bind-mounted into the running container.</summary>
    private void WriteHosts(ContainerRow row, IReadOnlyList<EndpointRow> endpoints)
    {
        var request = ConfigOf(row).Request;
        var hostname = request.Hostname is { Length: > 0 } h ? h : row.Id[..12];
        var names = request.Domainname is { Length: > 0 } d ? $"{hostname}.{d} {hostname}" : hostname;
        var hosts = Path.Combine(DirOf(row.Id), "hosts");
        var lines = File.ReadAllLines(hosts).Where(l => !l.EndsWith("\t" + names, StringComparison.Ordinal))
            .Concat(endpoints.Select(e => $"{e.Address}\t{names}"));
        File.WriteAllText(hosts, string.Join('\n', lines) + "\n");
    }

    /// <summary>The container's resolv.conf for the networks it is on now: the first user network's resolver, else
    /// the default bridge's file; kept as it is with no network at all. Written in place (bind-mounted).</summary>
    private void WriteResolvConf(ContainerRow row, IEnumerable<NetworkRow> networks)
    {
        var list = networks.ToList();
        if (list.Count == 0) return;
        var resolver = list.FirstOrDefault(n => n.Name != NetworkService.DefaultNetwork) ?? list[0];
        File.WriteAllText(Path.Combine(DirOf(row.Id), "resolv.conf"), ResolvConfFor(ConfigOf(row).Request, resolver));
    }

    /// <summary><c>network connect [--alias A] NETWORK CONTAINER</c>: records the membership (it lasts across
    /// restarts) and, when the container runs, connects it at once: a new interface (the next ethN) in its namespace
    /// with its address, the default route moved when the new network is now the gateway one, its hosts and
    /// resolv.conf lines, the network's resolver started. docker's errors: a container already on the network, an
    /// alias on the default bridge, host and none containers. On failure nothing is left.</summary>
    public Task ConnectNetworkAsync(string networkName, string containerName, EndpointRequest endpoint, CancellationToken ct)
    {
        var network = networkName == NetworkService.DefaultNetwork ? Networks.EnsureDefault() : Networks.Get(networkName);
        if (network.Name == NetworkService.DefaultNetwork && endpoint.Aliases.Count > 0)
            throw new BerthException(ErrorKind.PermissionDenied, "network-scoped alias is supported only for containers in user defined networks");
        CheckAddresses(network, endpoint);
        var wanted = new AddressRequest { IPv4Address = endpoint.IPv4Address, IPv6Address = endpoint.IPv6Address };
        var row = Resolve(containerName);
        using var held = Store.LockContainer(row.Id, ct);
        row = Reconcile(CurrentOrGone(row.Id, held));
        var config = ConfigOf(row);
        CheckNetworkMode(config.Request.Network);
        if (NetworksOf(row).Any(n => n.Network.Id == network.Id))
            throw new BerthException(ErrorKind.PermissionDenied, $"endpoint with name {row.Name} already exists in network {network.Name}");
        RecordNetworks(row, config);
        if (!Store.Metadata.TryAddAttachment(new AttachmentRow
            {
                ContainerId = row.Id, NetworkId = network.Id, Aliases = endpoint.Aliases,
                IPv4Address = endpoint.IPv4Address, IPv6Address = endpoint.IPv6Address,
            }))
            throw new BerthException(ErrorKind.PermissionDenied, $"endpoint with name {row.Name} already exists in network {network.Name}");
        if (row.Status != "running") return Task.CompletedTask;
        try
        {
            var netns = $"/proc/{row.Pid}/ns/net";
            var existing = Store.Metadata.EndpointsOfContainer(row.Id);
            // Interfaces count up in connect order (docker's eth0, eth1, …).
            var next = existing.Select(e => int.TryParse(e.InterfaceName.AsSpan(3), out var n) ? n + 1 : 0).DefaultIfEmpty(0).Max();
            Networks.Connect(row.Id, network, netns, $"eth{next}", defaultRoute: false, wanted);
            RouteAndFiles(row, netns);
            NetworkResolver.EnsureRunning(Options, network);
        }
        catch
        {
            Store.Metadata.DeleteAttachments(row.Id, network.Id);
            if (Store.Metadata.EndpointsOfContainer(row.Id).FirstOrDefault(e => e.NetworkId == network.Id) is { } made)
                Networks.Disconnect(row.Id, made);
            throw;
        }
        Events.Record("network", "connect", network.Id, [new("container", row.Id), new("name", network.Name), new("type", network.Driver)]);
        return Task.CompletedTask;
    }

    /// <summary><c>network disconnect [-f] NETWORK CONTAINER</c>: ends the membership and, when the container runs,
    /// removes its interface on that network (and the host ports published there), releases the address, moves the
    /// default route to the next gateway network (none left: no default route), rewrites its hosts and resolv.conf.
    /// The network's resolver sees the endpoint gone at its next query. <paramref name="force"/> is docker's flag,
    /// accepted (berth has no stale endpoints of other hosts to force away).</summary>
    public Task DisconnectNetworkAsync(string networkName, string containerName, bool force, CancellationToken ct)
    {
        var network = networkName == NetworkService.DefaultNetwork ? Networks.EnsureDefault() : Networks.Get(networkName);
        var row = Resolve(containerName);
        using var held = Store.LockContainer(row.Id, ct);
        row = Reconcile(CurrentOrGone(row.Id, held));
        var config = ConfigOf(row);
        if (config.Request.Network == "host" || network.Name == "host")
            throw new BerthException(ErrorKind.PermissionDenied, "container cannot be disconnected from host network or connected to host network");
        if (!NetworksOf(row).Any(n => n.Network.Id == network.Id))
            throw new BerthException(ErrorKind.PermissionDenied, $"container {row.Id} is not connected to network {network.Name}");
        RecordNetworks(row, config);
        Store.Metadata.DeleteAttachments(row.Id, network.Id);
        KeyValuePair<string, string>[] attributes = [new("container", row.Id), new("name", network.Name), new("type", network.Driver)];
        if (row.Status == "running" && Store.Metadata.EndpointsOfContainer(row.Id).FirstOrDefault(e => e.NetworkId == network.Id) is { } endpoint)
        {
            Networks.Disconnect(row.Id, endpoint);
            RouteAndFiles(row, $"/proc/{row.Pid}/ns/net");
            // Compat: dockerd 20.10 records a running container's disconnect twice, once when it releases the endpoint
            // (daemon.disconnectFromNetwork) and once for the command (DisconnectFromNetwork); scripts that count
            // `docker events` lines see both.
            Events.Record("network", "disconnect", network.Id, attributes);
        }
        Events.Record("network", "disconnect", network.Id, attributes);
        return Task.CompletedTask;
    }

    /// <summary>An endpoint's <c>--ip</c>/<c>--ip6</c> against its network, checked before anything is recorded, so a
    /// stopped container's membership never holds an address its next start would refuse.</summary>
    private static void CheckAddresses(NetworkRow network, EndpointRequest endpoint)
    {
        AddressRequest.CheckAddresses(endpoint.IPv4Address, endpoint.IPv6Address);
        if (endpoint.IPv4Address is null && endpoint.IPv6Address is null) return;
        if (network.Name == NetworkService.DefaultNetwork) throw BerthException.Invalid("user specified IP address is supported on user defined networks only");
        if (!network.UserSubnet) throw BerthException.Invalid("user specified IP address is supported only when connecting to networks with user configured subnets");
    }

    /// <summary>The memberships a create records besides its <c>--network</c>'s (<see cref="ContainerRequest.MoreNetworks"/>),
    /// checked as dockerd checks each EndpointsConfig entry: a network container, host or none mode joins no other,
    /// each network once, aliases on user networks only, addresses on user subnets, a valid MAC.</summary>
    private List<(NetworkRow Network, EndpointRequest Endpoint)> ResolveMoreNetworks(ContainerRequest request, NetworkRow? first)
    {
        var more = new List<(NetworkRow, EndpointRequest)>();
        if (request.MoreNetworks.Count == 0) return more;
        CheckJoinsMore(request.Network);
        var seen = new HashSet<string>(StringComparer.Ordinal) { first!.Id };
        foreach (var (name, endpoint) in request.MoreNetworks.Select(m => (m.Network, m.Endpoint)))
        {
            var named = name is "default" ? Options.DefaultNetwork : name;
            CheckJoinsMore(named);
            var network = Networks.Resolve(named);
            if (!seen.Add(network.Id)) throw BerthException.Invalid($"network \"{name}\" is specified multiple times");
            if (endpoint.Aliases.Count > 0 && network.Name == NetworkService.DefaultNetwork)
                throw BerthException.Invalid("network-scoped aliases are only supported for user-defined networks");
            CheckAddresses(network, endpoint);
            more.Add((network, endpoint.MacAddress is { } mac ? endpoint with { MacAddress = AddressRequest.NormalizeMac(mac) } : endpoint));
        }
        return more;
    }

    /// <summary>dockerd's runconfig errors for a mode that shares no network with others (400 at create).</summary>
    private static void CheckJoinsMore(string mode)
    {
        if (NetworkService.ContainerOf(mode) is not null)
            throw BerthException.Invalid("container sharing network namespace with another container or host cannot be connected to any other network");
        if (mode == "host") throw BerthException.Invalid("container cannot be disconnected from host network or connected to host network");
        if (mode == "none") throw BerthException.Invalid("container cannot be connected to multiple networks with one of the networks in private (none) mode");
    }

    private static void CheckNetworkMode(string mode)
    {
        if (mode == "host") throw new BerthException(ErrorKind.PermissionDenied, "container cannot be disconnected from host network or connected to host network");
        if (mode == "none") throw new BerthException(ErrorKind.PermissionDenied, "container cannot be connected to multiple networks with one of the networks in private (none) mode");
    }

    /// <summary>After a running container's endpoints changed: the default route via the gateway network of those
    /// left, and its hosts and resolv.conf for them.</summary>
    private void RouteAndFiles(ContainerRow row, string netns)
    {
        var endpoints = Store.Metadata.EndpointsOfContainer(row.Id);
        var networks = NetworksOf(row).Select(n => n.Network).Where(n => endpoints.Any(e => e.NetworkId == n.Id)).ToList();
        var gateway = NetworkService.GatewayNetwork(networks);
        var via = gateway is null ? null : endpoints.First(e => e.NetworkId == gateway.Id);
        Berth.Network.BridgeDriver.SetDefaultRoute(netns, via?.InterfaceName,
            gateway is null ? null : Berth.Network.Ipam.Ipv4Subnet.ToUInt(System.Net.IPAddress.Parse(gateway.Gateway)));
        var ordered = networks.Select(n => endpoints.First(e => e.NetworkId == n.Id)).ToList();
        WriteHosts(row, ordered);
        WriteResolvConf(row, networks);
    }

    /// <summary>A container created before memberships were recorded gets its one network recorded, so a connect or
    /// disconnect adds to it or takes it away.</summary>
    private void RecordNetworks(ContainerRow row, StoredContainerConfig config)
    {
        if (config.NetworksRecorded) return;
        foreach (var (attachment, _) in NetworksOf(row)) Store.Metadata.TryAddAttachment(attachment);
        var updated = config with { NetworksRecorded = true };
        Store.Metadata.UpdateContainer(row with { Config = JsonSerializer.Serialize(updated, ContainerJsonContext.Writer.StoredContainerConfig) });
    }
}
