namespace Berth.Network.Ports;

/// <summary>A published port as the kernel carries it: traffic for <see cref="HostIp"/> (every local address when
/// "") on <see cref="HostPort"/> goes to the container's <see cref="ContainerIp"/>:<see cref="ContainerPort"/>.</summary>
public sealed record PortMapping(string HostIp, int HostPort, string ContainerIp, int ContainerPort, string Protocol, string BridgeName);
