namespace Berth.Storage.Metadata;

/// <summary>A network as stored: identity, driver, and its IPv4 configuration (the bridge's name and address).
/// <see cref="Options"/> and <see cref="Labels"/> are JSON objects of strings, opaque here.</summary>
public sealed record NetworkRow
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Driver { get; init; }
    public required DateTimeOffset Created { get; init; }
    /// <summary>CIDR, e.g. 172.17.0.0/16.</summary>
    public required string Subnet { get; init; }
    public required string Gateway { get; init; }
    public required string Bridge { get; init; }
    public bool Internal { get; init; }
    public string Options { get; init; } = "{}";
    public string Labels { get; init; } = "{}";
    /// <summary><c>--ip-range</c>: the CIDR automatic addresses come from (inside <see cref="Subnet"/>); null for the
    /// whole subnet.</summary>
    public string? IpRange { get; init; }
    /// <summary>Whether the subnet was given by the user (<c>--subnet</c>): only then does docker take <c>--ip</c>.</summary>
    public bool UserSubnet { get; init; }
    /// <summary>Whether the IPv4 (IPv6) gateway was given by the user (<c>--gateway</c>).</summary>
    public bool UserGateway { get; init; }
    public bool UserGateway6 { get; init; }
    /// <summary><c>--ipv6</c>: the IPv6 subnet (CIDR) and its gateway; null for an IPv4-only network.</summary>
    public string? Subnet6 { get; init; }
    public string? Gateway6 { get; init; }
    /// <summary><c>--attachable</c>: kept and shown, as dockerd does outside swarm mode.</summary>
    public bool Attachable { get; init; }
}

/// <summary>A container's attachment to a network while it runs: the address handed out (unique within the
/// network), its MAC, and the host end of its veth pair.</summary>
public sealed record EndpointRow
{
    public required string NetworkId { get; init; }
    public required string ContainerId { get; init; }
    public required string Address { get; init; }
    public required string MacAddress { get; init; }
    public required string HostVeth { get; init; }
    public required string InterfaceName { get; init; }
    /// <summary>The IPv6 address (unique within the network) on a network with IPv6; null otherwise.</summary>
    public string? Address6 { get; init; }
}

/// <summary>A host port published for a running container: unique per protocol, so berth never hands one port to
/// two containers; released with the container's endpoints.</summary>
public sealed record PortRow
{
    public required string ContainerId { get; init; }
    /// <summary>"" for every address.</summary>
    public required string HostIp { get; init; }
    public required int HostPort { get; init; }
    public required string Protocol { get; init; }
    public required int ContainerPort { get; init; }
    public required string ContainerIp { get; init; }
    public required string Bridge { get; init; }
}

/// <summary>A container's membership of a network, which outlives its runs (docker's EndpointSettings in the container's
/// config): made at create for the network <c>--network</c> names, by <c>network connect</c> for others, removed by
/// <c>network disconnect</c> and <c>rm</c>. Each start connects the container to its attachments in
/// <see cref="Seq"/> order (eth0, eth1, …). <see cref="Aliases"/> are the user's network-scoped aliases
/// (<c>--network-alias</c>, <c>connect --alias</c>); the requested addresses and MAC (<c>--ip</c>, <c>--ip6</c>,
/// <c>--mac-address</c>) are null unless asked for.</summary>
public sealed record AttachmentRow
{
    public required string ContainerId { get; init; }
    public required string NetworkId { get; init; }
    public int Seq { get; init; }
    public IReadOnlyList<string> Aliases { get; init; } = [];
    public string? IPv4Address { get; init; }
    public string? IPv6Address { get; init; }
    public string? MacAddress { get; init; }
}
