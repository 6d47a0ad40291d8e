namespace Berth.Network.Ports;

/// <summary>A published port as the kernel carries it: traffic for <see cref="HostIp"/> (every local address when
/// "") on <see cref="HostPort"/> goes to the container's <see cref="ContainerIp"/>:<see cref="ContainerPort"/>, and,
/// when the container has an IPv6 address (<see cref="ContainerIp6"/>, on a network with IPv6), IPv6 traffic for
/// that port to that address.</summary>
public sealed record PortMapping(string HostIp, int HostPort, string ContainerIp, int ContainerPort, string Protocol, string BridgeName, string? ContainerIp6 = null);
