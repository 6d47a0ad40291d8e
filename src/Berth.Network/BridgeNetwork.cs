using Berth.Network.Ipam;

namespace Berth.Network;

/// <summary>A bridge network as the kernel sees it: its Linux bridge, its subnet and gateway (the bridge's address),
/// and whether traffic leaving it is masqueraded.</summary>
public sealed record BridgeNetwork
{
    public required string Name { get; init; }
    public required string BridgeName { get; init; }
    public required Ipv4Subnet Subnet { get; init; }
    public required uint Gateway { get; init; }
    public int Mtu { get; init; } = 1500;
    public bool Masquerade { get; init; } = true;
    /// <summary>The IPv6 subnet and gateway of a network made with <c>--ipv6</c>; null for IPv4 only.</summary>
    public Ipv6Subnet? Subnet6 { get; init; }
    public UInt128? Gateway6 { get; init; }
}
