using System.Security.Cryptography;
using Berth.Network;
using Berth.Network.Ipam;
using Berth.Oci.Errors;
using Berth.Storage;
using Berth.Storage.Metadata;

namespace Berth.Engine.Networks;

/// <summary>Networks: their records (the default <c>bridge</c>, made on first use with a subnet that clashes with no
/// route of berth's network namespace), the addresses handed to containers while they run, and the kernel side
/// (bridge, veths, berth's nftables table) through <see cref="BridgeDriver"/>.
/// <para>Lifecycle of an endpoint: <see cref="Connect"/> runs at a container's start, after its init exists (so its
/// network namespace does) and before its command runs; the address is allocated in the metadata store (lowest free,
/// unique per network) and released by <see cref="Disconnect"/> when the run ends. The kernel deletes a veth pair
/// whose container namespace died, so a killed monitor leaves at most the address row, which the next reader that
/// records the exit releases.</para></summary>
public sealed partial class NetworkService(Store store, TimeProvider time)
{
    /// <summary>docker's name of the default network, and berth's name for its bridge (docker's is docker0).</summary>
    public const string DefaultNetwork = "bridge";
    public const string DefaultBridge = "berth0";

    /// <summary>The log of network create, destroy and prune (a container's connect and disconnect are the container
    /// service's).</summary>
    private Events.EventService Events { get; } = new(store, time);

    /// <summary>Records a network's event as dockerd does: its ID, name and driver.</summary>
    private void Record(NetworkRow network, string action) =>
        Events.Record("network", action, network.Id, [new("name", network.Name), new("type", network.Driver)]);

    /// <summary>The names <c>--network</c> takes that are not bridge networks: none, host, container:NAME|ID.</summary>
    public static bool IsBuiltinMode(string name) => name is "none" or "host" || name.StartsWith("container:", StringComparison.Ordinal);

    /// <summary>The container named by <c>--network container:NAME|ID</c>, or null for another mode.</summary>
    public static string? ContainerOf(string mode) =>
        mode.StartsWith("container:", StringComparison.Ordinal) && mode.Length > "container:".Length ? mode["container:".Length..] : null;

    /// <summary>The default bridge network's record, made if missing.</summary>
    public NetworkRow EnsureDefault()
    {
        if (store.Metadata.GetNetworkByName(DefaultNetwork) is { } existing) return existing;
        return store.Metadata.Write(_ =>
        {
            if (store.Metadata.GetNetworkByName(DefaultNetwork) is { } raced) return raced;
            var routes = File.Exists("/proc/net/route") ? AddressAllocator.ParseProcRoutes(File.ReadAllText("/proc/net/route")) : [];
            var taken = store.Metadata.ListNetworks().Select(n => Ipv4Subnet.Parse(n.Subnet));
            var subnet = AddressAllocator.ChoosePool(routes, taken);
            var row = new NetworkRow
            {
                Id = Berth.Interop.KernelRandom.Hex(32), Name = DefaultNetwork, Driver = "bridge",
                Created = time.GetUtcNow(), Subnet = subnet.ToString(), Gateway = Ipv4Subnet.Format(AddressAllocator.Gateway(subnet)), Bridge = DefaultBridge,
            };
            if (!store.Metadata.TryAddNetwork(row)) throw BerthException.Conflict($"network with name {DefaultNetwork} already exists");
            return row;
        });
    }

    /// <summary>The networks <c>--network</c> always knows, as <c>network ls</c> lists them (host and none have no
    /// record: their IDs are fixed digests of their names).</summary>
    public static string BuiltinId(string name) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("berth network " + name)));

    /// <summary><c>network create</c>: a bridge network with its own Linux bridge (<c>br-&lt;id12&gt;</c> unless
    /// <c>-o com.docker.network.bridge.name</c>), a subnet given or the next free default pool, made in the kernel
    /// at once as docker does. docker's errors for a taken name, a bad or overlapping subnet, a stray gateway.</summary>
    public NetworkRow Create(NetworkCreateRequest request)
    {
        if (request.Driver != "bridge")
            throw new BerthException(ErrorKind.NotImplemented, $"plugin \"{request.Driver}\" not found (berth has the bridge driver only)");
        if (!ValidName(request.Name)) throw BerthException.Invalid($"invalid network name \"{request.Name}\"");
        if (request.Name is "host" or "none" or DefaultNetwork) throw BerthException.Conflict($"network with name {request.Name} already exists");
        var ipam = IpamConfig.Parse(request.Subnets, request.Gateways, request.IpRanges);
        // An IPv6 subnet asks for IPv6; --ipv6 alone gets a unique local /64 of its own.
        var subnet6 = ipam.Subnet6 ?? (request.EnableIPv6 ? AddressAllocator.RandomUniqueLocal() : null);
        var id = Berth.Interop.KernelRandom.Hex(32);
        var bridgeName = request.Options.TryGetValue("com.docker.network.bridge.name", out var bn) && bn.Length > 0 ? bn : "br-" + id[..12];
        var row = store.Metadata.Write(_ =>
        {
            if (store.Metadata.GetNetworkByName(request.Name) is not null) throw BerthException.Conflict($"network with name {request.Name} already exists");
            var networks = store.Metadata.ListNetworks();
            var taken = networks.Select(n => Ipv4Subnet.Parse(n.Subnet)).ToList();
            Ipv4Subnet chosen;
            if (ipam.Subnet is { } wanted)
            {
                if (taken.Any(wanted.Overlaps)) throw BerthException.Conflict("Pool overlaps with other one on this address space");
                chosen = wanted;
            }
            else
            {
                var routes = File.Exists("/proc/net/route") ? AddressAllocator.ParseProcRoutes(File.ReadAllText("/proc/net/route")) : [];
                // The default bridge's pool stays reserved for it even before it is made.
                chosen = AddressAllocator.ChoosePool(routes, store.Metadata.GetNetworkByName(DefaultNetwork) is null ? [.. taken, Ipv4Subnet.Parse("172.17.0.0/16")] : taken);
            }
            if (subnet6 is { } v6 && networks.Any(n => n.Subnet6 is { } other && Ipv6Subnet.Parse(other).Overlaps(v6)))
                throw BerthException.Conflict("Pool overlaps with other one on this address space");
            var r = new NetworkRow
            {
                Id = id, Name = request.Name, Driver = "bridge", Created = time.GetUtcNow(), Subnet = chosen.ToString(),
                Gateway = Ipv4Subnet.Format(ipam.Gateway ?? AddressAllocator.Gateway(chosen)), Bridge = bridgeName, Internal = request.Internal, Attachable = request.Attachable,
                Options = System.Text.Json.JsonSerializer.Serialize(request.Options.ToDictionary(), Containers.ContainerJsonContext.Default.DictionaryStringString),
                Labels = System.Text.Json.JsonSerializer.Serialize(request.Labels.ToDictionary(), Containers.ContainerJsonContext.Default.DictionaryStringString),
                IpRange = ipam.IpRange?.ToString(), UserSubnet = ipam.Subnet is not null || ipam.Subnet6 is not null, UserGateway = ipam.Gateway is not null, UserGateway6 = ipam.Gateway6 is not null,
                Subnet6 = subnet6?.ToString(), Gateway6 = subnet6 is { } s6 ? Ipv6Subnet.Format(ipam.Gateway6 ?? s6.Network + 1) : null,
            };
            if (!store.Metadata.TryAddNetwork(r)) throw BerthException.Conflict($"network with name {request.Name} already exists");
            return r;
        });
        try
        {
            using (store.LockNetworks(CancellationToken.None))
                BridgeDriver.EnsureBridge(ToBridge(row), BridgeNetworks(), PortMappings());
        }
        catch
        {
            store.Metadata.DeleteNetwork(row.Id);
            try { BridgeDriver.RemoveBridge(bridgeName); } catch (BerthException) { }
            throw;
        }
        Record(row, "create");
        return row;
    }

    private static bool ValidName(string name) =>
        name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    /// <summary>A network by name, full ID or unique ID prefix; NotFound ("network X not found") otherwise.</summary>
    public NetworkRow Get(string nameOrId)
    {
        if (store.Metadata.GetNetworkByName(nameOrId) is { } byName) return byName;
        var matches = store.Metadata.ListNetworks().Where(n => n.Id.StartsWith(nameOrId, StringComparison.Ordinal)).ToList();
        return matches.Count == 1 ? matches[0] : throw BerthException.NotFound($"network {nameOrId} not found");
    }

    /// <summary><c>network rm</c>: refused while a container runs on it (docker's "has active endpoints"); the
    /// bridge (its address and route with it) and its rules go.</summary>
    public void Remove(NetworkRow network)
    {
        if (network.Name == DefaultNetwork) throw new BerthException(ErrorKind.PermissionDenied, $"{DefaultNetwork} is a pre-defined network and cannot be removed");
        using (store.LockNetworks(CancellationToken.None))
        {
            if (store.Metadata.EndpointsOfNetwork(network.Id).Count > 0)
                throw BerthException.Conflict($"error while removing network: network {network.Name} id {network.Id} has active endpoints");
            store.Metadata.DeleteNetwork(network.Id);
            BridgeDriver.ApplyRules(BridgeNetworks(), PortMappings());
            BridgeDriver.RemoveBridge(network.Bridge);
        }
        Record(network, "destroy");
    }

    /// <summary><c>network inspect</c>.</summary>
    public NetworkInspect Inspect(NetworkRow n, Func<string, string?> containerName)
    {
        var containers = new Dictionary<string, NetworkContainer>(StringComparer.Ordinal);
        foreach (var e in store.Metadata.EndpointsOfNetwork(n.Id))
            containers[e.ContainerId] = new NetworkContainer
            {
                Name = containerName(e.ContainerId) ?? "",
                EndpointID = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(n.Id + e.ContainerId))),
                MacAddress = e.MacAddress,
                IPv4Address = $"{e.Address}/{n.Subnet[(n.Subnet.IndexOf('/') + 1)..]}",
                IPv6Address = e.Address6 is { } a6 && n.Subnet6 is { } v6 ? $"{a6}/{v6[(v6.IndexOf('/') + 1)..]}" : "",
            };
        var options = System.Text.Json.JsonSerializer.Deserialize(n.Options, Containers.ContainerJsonContext.Default.DictionaryStringString) ?? [];
        if (n.Name == DefaultNetwork)
            options = new Dictionary<string, string>
            {
                ["com.docker.network.bridge.default_bridge"] = "true", ["com.docker.network.bridge.enable_icc"] = "true",
                ["com.docker.network.bridge.enable_ip_masquerade"] = "true", ["com.docker.network.bridge.host_binding_ipv4"] = "0.0.0.0",
                ["com.docker.network.bridge.name"] = n.Bridge, ["com.docker.network.driver.mtu"] = "1500",
            };
        return new NetworkInspect
        {
            Name = n.Name, Id = n.Id, Created = n.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            Driver = n.Driver, Internal = n.Internal, Attachable = n.Attachable, EnableIPv6 = n.Subnet6 is not null,
            // Compat: docker 20.10 shows no Gateway for the default bridge (reference §1.1). For a network created with a
            // subnet, dockerd's IPAM config is what was given: the gateway it picked shows only when given too.
            IPAM = new NetworkIpam
            {
                Options = new Dictionary<string, string>(),
                Config = [new NetworkIpamConfig { Subnet = n.Subnet, IPRange = n.IpRange, Gateway = n.Name == DefaultNetwork || (n.UserSubnet && !n.UserGateway) ? null : n.Gateway },
                    .. n.Subnet6 is { } s6 ? [new NetworkIpamConfig { Subnet = s6, Gateway = n.UserSubnet && !n.UserGateway6 ? null : n.Gateway6 }] : Array.Empty<NetworkIpamConfig>()],
            },
            Containers = containers, Options = options,
            Labels = System.Text.Json.JsonSerializer.Deserialize(n.Labels, Containers.ContainerJsonContext.Default.DictionaryStringString) ?? [],
        };
    }

    /// <summary>The built-in host and none networks, which have no record.</summary>
    public NetworkInspect InspectBuiltin(string name) => new()
    {
        Name = name, Id = BuiltinId(name), Created = "0001-01-01T00:00:00Z", Driver = name == "none" ? "null" : "host",
        IPAM = new NetworkIpam { Config = [] },
    };

    /// <summary>The network <paramref name="name"/> names (the default one made on demand); NotFound otherwise.</summary>
    public NetworkRow Resolve(string name) =>
        name == DefaultNetwork ? EnsureDefault()
        : store.Metadata.GetNetworkByName(name) ?? throw BerthException.NotFound($"network {name} not found");

    public static BridgeNetwork ToBridge(NetworkRow row) => new()
    {
        Name = row.Name, BridgeName = row.Bridge, Subnet = Ipv4Subnet.Parse(row.Subnet),
        Gateway = Ipv4Subnet.ToUInt(System.Net.IPAddress.Parse(row.Gateway)), Masquerade = !row.Internal,
        Subnet6 = row.Subnet6 is { } s6 ? Ipv6Subnet.Parse(s6) : null,
        Gateway6 = row.Gateway6 is { } g6 ? Ipv6Subnet.ToUInt128(System.Net.IPAddress.Parse(g6)) : null,
    };

    /// <summary>Connects the running init's network namespace (<paramref name="netnsPath"/>) to
    /// <paramref name="network"/>: allocates its addresses (one transaction, unique per network: the lowest free of
    /// the subnet or its <c>--ip-range</c>, or the one <paramref name="wanted"/> names), makes sure the bridge and
    /// berth's rules exist, and creates the veth pair. On failure nothing is left: no row, no link. docker's errors
    /// for an address asked for on the default network, outside the subnet or in use.</summary>
    public EndpointRow Connect(string containerId, NetworkRow network, string netnsPath, string interfaceName, bool defaultRoute, AddressRequest? wanted = null)
    {
        wanted ??= new AddressRequest();
        var bridge = ToBridge(network);
        uint? ip4 = wanted.IPv4Address is { } w4 ? Ipv4Subnet.ToUInt(System.Net.IPAddress.Parse(w4)) : null;
        UInt128? ip6 = wanted.IPv6Address is { } w6 ? Ipv6Subnet.ToUInt128(System.Net.IPAddress.Parse(w6)) : null;
        if (ip4 is not null || ip6 is not null)
        {
            if (network.Name == DefaultNetwork) throw BerthException.Invalid("user specified IP address is supported on user defined networks only");
            if (!network.UserSubnet || (ip6 is not null && bridge.Subnet6 is null))
                throw BerthException.Invalid("user specified IP address is supported only when connecting to networks with user configured subnets");
        }
        var mac = wanted.MacAddress is { } m ? AddressAllocator.TryParseMac(m) ?? throw BerthException.Invalid($"{m} is not a valid mac address") : null;
        var endpoint = store.Metadata.Write(_ =>
        {
            var endpoints = store.Metadata.EndpointsOfNetwork(network.Id);
            var used = endpoints.Select(e => Ipv4Subnet.ToUInt(System.Net.IPAddress.Parse(e.Address))).ToHashSet();
            uint address;
            if (ip4 is { } asked)
            {
                AddressAllocator.CheckRequested(bridge.Subnet, bridge.Gateway, used, asked);
                address = asked;
            }
            else address = AddressAllocator.LowestFree(bridge.Subnet, bridge.Gateway, used, network.IpRange is { } range ? Ipv4Subnet.Parse(range) : null);
            UInt128? address6 = null;
            if (bridge is { Subnet6: { } subnet6, Gateway6: { } gateway6 })
            {
                var used6 = endpoints.Where(e => e.Address6 is not null).Select(e => Ipv6Subnet.ToUInt128(System.Net.IPAddress.Parse(e.Address6!))).ToHashSet();
                if (ip6 is { } asked6) AddressAllocator.CheckRequested6(subnet6, gateway6, used6, asked6);
                address6 = ip6 ?? AddressAllocator.LowestFree6(subnet6, gateway6, used6);
            }
            var e = new EndpointRow
            {
                NetworkId = network.Id, ContainerId = containerId, Address = Ipv4Subnet.Format(address),
                MacAddress = AddressAllocator.FormatMac(mac ?? AddressAllocator.MacFor(address)), HostVeth = BridgeDriver.NewVethName(), InterfaceName = interfaceName,
                Address6 = address6 is { } a6 ? Ipv6Subnet.Format(a6) : null,
            };
            store.Metadata.AddEndpoint(e);
            return e;
        });
        try
        {
            EnsureKernel(bridge);
            BridgeDriver.Attach(bridge, netnsPath, endpoint.HostVeth, interfaceName, Ipv4Subnet.ToUInt(System.Net.IPAddress.Parse(endpoint.Address)), defaultRoute,
                AddressAllocator.TryParseMac(endpoint.MacAddress), endpoint.Address6 is { } a6 ? Ipv6Subnet.ToUInt128(System.Net.IPAddress.Parse(a6)) : null);
        }
        catch
        {
            store.Metadata.DeleteEndpoints(containerId);
            throw;
        }
        return endpoint;
    }

    /// <summary>The bridge of <paramref name="bridge"/> and berth's table as the records say, skipping the work
    /// (above all the libnftables transaction, the bulk of a bridge's cost on <c>run</c>) when the last one
    /// applied in this boot and network namespace computed the same table and the bridge is there.</summary>
    private void EnsureKernel(BridgeNetwork bridge)
    {
        using var held = store.LockNetworks(CancellationToken.None);
        var all = BridgeNetworks();
        var ports = PortMappings();
        var stamp = Stamp(all, ports);
        var marker = Path.Combine(store.Root, "network-applied");
        if (File.Exists(marker) && File.ReadAllText(marker) == stamp && BridgeDriver.HasLink(bridge.BridgeName)) return;
        BridgeDriver.EnsureBridge(bridge, all, ports);
        File.WriteAllText(marker, stamp);
    }

    /// <summary>Rewrites berth's table from the records (and the marker <see cref="EnsureKernel"/> reads).</summary>
    private void ApplyRules()
    {
        using var held = store.LockNetworks(CancellationToken.None);
        var all = BridgeNetworks();
        var ports = PortMappings();
        BridgeDriver.ApplyRules(all, ports);
        File.WriteAllText(Path.Combine(store.Root, "network-applied"), Stamp(all, ports));
    }

    /// <summary>What identifies an applied table: the boot (a reboot empties the kernel's tables), the network
    /// namespace berth runs in (another namespace has its own) and the table's JSON itself. Kept as text, not hashed:
    /// a hash loads OpenSSL into every <c>run</c> on a bridge, which cost more than the comparison it saves.</summary>
    private static string Stamp(IReadOnlyList<BridgeNetwork> all, IReadOnlyList<Berth.Network.Ports.PortMapping> ports)
    {
        var boot = File.Exists("/proc/sys/kernel/random/boot_id") ? File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() : "";
        var netns = File.ResolveLinkTarget("/proc/thread-self/ns/net", returnFinalTarget: false)?.Name ?? "";
        return $"{boot}\n{netns}\n{Berth.Network.Nftables.Ruleset.For(all, ports).ToJsonString()}";
    }

    /// <summary>Releases a container's endpoints: the host ends of its veths and its addresses. When the container's
    /// network namespace is dying with its processes (<paramref name="namespaceDying"/>), the veths are only retired
    /// (<see cref="BridgeDriver.Retire"/>): the kernel deletes them with the namespace, without keeping the caller
    /// waiting; else (a namespace another container still runs in, a crash cleaned up) they are deleted.</summary>
    public void Disconnect(string containerId, bool namespaceDying = false)
    {
        // One read when there is nothing to release (every run of a container on none or host, every build step);
        // else one transaction for the rows.
        var endpoints = store.Metadata.EndpointsOfContainer(containerId);
        var ports = store.Metadata.PortsOfContainer(containerId);
        if (endpoints.Count == 0 && ports.Count == 0) return;
        foreach (var e in endpoints)
        {
            if (namespaceDying) BridgeDriver.Retire(e.HostVeth);
            else BridgeDriver.Detach(e.HostVeth);
        }
        store.Metadata.Write(_ => store.Metadata.DeletePorts(containerId) + store.Metadata.DeleteEndpoints(containerId));
        if (ports.Count > 0) ApplyRules();
    }

    /// <summary>Releases one endpoint of a running container (<c>network disconnect</c>): its veth pair, the host ports
    /// published on its address, its address.</summary>
    public void Disconnect(string containerId, EndpointRow endpoint)
    {
        BridgeDriver.Detach(endpoint.HostVeth);
        if (store.Metadata.DeletePorts(containerId, endpoint.Address) > 0) ApplyRules();
        store.Metadata.DeleteEndpoint(containerId, endpoint.NetworkId);
    }

    /// <summary>The names a container answers to on a user network, as docker's DNSNames: its name, its aliases
    /// there, its short ID and its hostname when one was given, each once.</summary>
    public static IReadOnlyList<string> DnsNames(ContainerRow row, Containers.ContainerRequest request, IReadOnlyList<string> aliases) =>
        new[] { row.Name }.Concat(aliases).Append(row.Id[..12]).Concat(request.Hostname is { Length: > 0 } h ? [h] : [])
            .Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The network a container with endpoints on <paramref name="networks"/> routes through by default:
    /// docker 20.10's choice, the first non-internal one by name (an internal one only when there is no other).</summary>
    public static NetworkRow? GatewayNetwork(IEnumerable<NetworkRow> networks)
    {
        var list = networks.ToList();
        return list.Where(n => !n.Internal).OrderBy(n => n.Name, StringComparer.Ordinal).FirstOrDefault()
               ?? list.OrderBy(n => n.Name, StringComparer.Ordinal).FirstOrDefault();
    }

    /// <summary>The first host port of the ephemeral range (ip_local_port_range), where random ports come from.</summary>
    public const int FirstEphemeralPort = 32768, LastEphemeralPort = 60999;

    /// <summary>Publishes <paramref name="requests"/> for a container whose <paramref name="endpoint"/> is on
    /// <paramref name="network"/>: picks the host ports (asked for, the first free of a range, or the lowest free
    /// ephemeral one), records them (unique per protocol: never two containers on one port) and rewrites berth's
    /// table with their DNAT rules. A port another program holds, or another container, is docker's error; the
    /// caller then disconnects the container, which releases what was recorded.</summary>
    public IReadOnlyList<PortRow> Publish(string containerId, string containerName, EndpointRow endpoint, NetworkRow network, IReadOnlyList<Berth.Network.Ports.PortRequest> requests)
    {
        if (requests.Count == 0) return [];
        // The endpoint's ID only names it in an error: hashed then, not on every run (SHA-256 loads OpenSSL).
        BerthException Failed(string detail) =>
            BerthException.Conflict($"driver failed programming external connectivity on endpoint {containerName} " +
                $"({Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(network.Id + containerId)))}): {detail}");
        var published = store.Metadata.Write(_ =>
        {
            var rows = new List<PortRow>();
            foreach (var r in requests)
            {
                var shownIp = r.HostIp.Length == 0 ? "0.0.0.0" : r.HostIp;
                var (first, last) = r.HostPortFirst == 0 ? (FirstEphemeralPort, LastEphemeralPort) : (r.HostPortFirst, r.HostPortLast);
                PortRow? chosen = null;
                string? busy = null;
                for (var port = first; port <= last && chosen is null; port++)
                {
                    var row = new PortRow
                    {
                        ContainerId = containerId, HostIp = r.HostIp, HostPort = port, Protocol = r.Protocol, ContainerPort = r.ContainerPort,
                        ContainerIp = endpoint.Address, Bridge = network.Bridge,
                    };
                    if (store.Metadata.ListPorts().Any(p => p.HostPort == port && p.Protocol == r.Protocol))
                    {
                        busy ??= $"Bind for {shownIp}:{port} failed: port is already allocated";
                        continue;
                    }
                    if (InUse(r.HostIp, port, r.Protocol) is { } error)
                    {
                        busy ??= $"Error starting userland proxy: listen {r.Protocol}4 {shownIp}:{port}: bind: {error}";
                        continue;
                    }
                    if (store.Metadata.TryAddPort(row)) chosen = row;
                }
                if (chosen is null) throw Failed(busy ?? "no free host port");
                rows.Add(chosen);
            }
            return rows;
        });
        ApplyRules();
        return published;
    }

    /// <summary>Whether another program holds the host port: a bind of our own fails (SO_REUSEADDR, as Go's
    /// listeners, so a port in TIME_WAIT is free). Null when free, else the error, in Go's words.</summary>
    private static string? InUse(string hostIp, int port, string protocol)
    {
        if (protocol == "sctp") return null;
        var ip = hostIp.Length == 0 ? System.Net.IPAddress.Any : System.Net.IPAddress.Parse(hostIp);
        using var socket = protocol == "udp"
            ? new System.Net.Sockets.Socket(ip.AddressFamily, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp)
            : new System.Net.Sockets.Socket(ip.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.ReuseAddress, true);
        try
        {
            socket.Bind(new System.Net.IPEndPoint(ip, port));
            return null;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return e.SocketErrorCode switch
            {
                System.Net.Sockets.SocketError.AddressAlreadyInUse => "address already in use",
                System.Net.Sockets.SocketError.AddressNotAvailable => "cannot assign requested address",
                _ => e.Message,
            };
        }
    }

    /// <summary>Every published port of a running container, as the kernel side needs them.</summary>
    public IReadOnlyList<Berth.Network.Ports.PortMapping> PortMappings()
    {
        var ports = store.Metadata.ListPorts();
        if (ports.Count == 0) return [];
        // A container's IPv6 address on the port's network (only networks with IPv6 have one).
        var address6 = store.Metadata.ListEndpoints().Where(e => e.Address6 is not null)
            .ToDictionary(e => (e.ContainerId, e.Address), e => e.Address6!);
        return ports.Select(p => new Berth.Network.Ports.PortMapping(p.HostIp, p.HostPort, p.ContainerIp, p.ContainerPort, p.Protocol, p.Bridge,
            address6.GetValueOrDefault((p.ContainerId, p.ContainerIp)))).ToList();
    }

    /// <summary>Every bridge network, as the kernel side needs them.</summary>
    public IReadOnlyList<BridgeNetwork> BridgeNetworks() =>
        store.Metadata.ListNetworks().Where(n => n.Driver == "bridge").Select(ToBridge).ToList();

    /// <summary>Leftovers of berth's networking for <c>system check</c>: addresses, host ports (and so DNAT rules) and
    /// veths still held for containers that are not running (a run whose every process was killed before anyone
    /// recorded its exit). <c>--repair</c> releases them as the end of the run would have.</summary>
    public static IEnumerable<Berth.Storage.Gc.Debris> FindDebris(Store store, Func<ContainerRow, bool> isRunning)
    {
        var rows = store.Metadata.ListContainers().ToDictionary(c => c.Id, StringComparer.Ordinal);
        var held = store.Metadata.ListEndpoints().Select(e => e.ContainerId).Concat(store.Metadata.ListPorts().Select(p => p.ContainerId)).Distinct(StringComparer.Ordinal);
        IReadOnlyList<string>? links = null;
        foreach (var id in held.ToList())
        {
            if (rows.TryGetValue(id, out var row) && isRunning(row)) continue;
            // A build's RUN step holds an endpoint while its bundle exists; a dead build's bundle is debris of its
            // own (RuntimeRunStepExecutor.FindOrphans), and its endpoint is reported once the bundle is gone.
            if (id.StartsWith("berth-build-", StringComparison.Ordinal) && Directory.Exists(Path.Combine(store.Root, "builds", id))) continue;
            links ??= BridgeDriver.Links();
            var endpoints = store.Metadata.EndpointsOfContainer(id);
            var ports = store.Metadata.PortsOfContainer(id);
            var parts = endpoints.Select(e => $"address {e.Address}" + (links.Contains(e.HostVeth) ? $", veth {e.HostVeth}" : ""))
                .Concat(ports.Select(p => $"host port {p.HostPort}/{p.Protocol}"));
            var service = new NetworkService(store, TimeProvider.System);
            yield return new Berth.Storage.Gc.Debris($"network endpoint of container {id}, which is not running: {string.Join(", ", parts)}", () => service.Disconnect(id));
        }
    }
}
