using Berth.Interop;
using Berth.Network.Ipam;
using Berth.Network.Netlink;
using Berth.Network.Nftables;
using Berth.Oci.Errors;
using static Berth.Network.Interop.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;

namespace Berth.Network;

/// <summary>What one container's attachment to a bridge network is in the kernel: the host end of its veth pair
/// (its peer is <see cref="InterfaceName"/> inside the container), its address and MAC.</summary>
public sealed record Endpoint(string HostVeth, string InterfaceName, uint Address, byte[] Mac, UInt128? Address6 = null);

/// <summary>Docker's bridge driver on berth's own terms, in the network namespace berth runs in: a Linux bridge per
/// network holding the gateway address, one veth pair per container (the peer created straight inside the
/// container's namespace, so it never appears here under another name), IPv4 forwarding on, and berth's nftables
/// table rebuilt from the networks. Everything goes through rtnetlink and libnftables; no <c>ip</c> or <c>nft</c>
/// process runs.</summary>
public static class BridgeDriver
{
    /// <summary>Makes sure the bridge of <paramref name="network"/> exists with its gateway address and is up,
    /// forwarding is on and <paramref name="all"/> (every bridge network, this one included) is in berth's table.</summary>
    public static void EnsureBridge(BridgeNetwork network, IReadOnlyList<BridgeNetwork> all, IReadOnlyList<Ports.PortMapping> ports)
    {
        using (var rt = RtNetlink.Open())
        {
            var mac = new byte[6];
            KernelRandom.Fill(mac);
            mac[0] = 0x02;
            mac[1] = 0x42;
            rt.AddBridge(network.BridgeName, mac, network.Mtu);
            var index = rt.LinkIndex(network.BridgeName) ?? throw new BerthException(ErrorKind.Internal, $"bridge {network.BridgeName} vanished");
            rt.AddAddress(index, Ipv4Subnet.ToAddress(network.Gateway), network.Subnet.PrefixLength, Ipv4Subnet.ToAddress(network.Subnet.Broadcast));
            if (network is { Subnet6: { } subnet6, Gateway6: { } gateway6 })
                rt.AddAddress6(index, Ipv6Subnet.ToAddress(gateway6), subnet6.PrefixLength);
            rt.SetUp(index);
        }
        // Routing between the bridge and the rest is forwarding; the sysctl is per network namespace (berth's own).
        const string forward = "/proc/sys/net/ipv4/ip_forward";
        if (File.ReadAllText(forward).Trim() != "1") File.WriteAllText(forward, "1");
        const string forward6 = "/proc/sys/net/ipv6/conf/all/forwarding";
        if (network.Subnet6 is not null && File.Exists(forward6) && File.ReadAllText(forward6).Trim() != "1") File.WriteAllText(forward6, "1");
        // A connection to 127.0.0.1:PORT is DNATed into the bridge; without route_localnet the kernel drops a
        // 127/8 source on a non-loopback interface (ip-sysctl.rst).
        File.WriteAllText($"/proc/sys/net/ipv4/conf/{network.BridgeName}/route_localnet", "1");
        Nft.Apply(Ruleset.For(all, ports));
    }

    /// <summary>Rewrites berth's nftables table for <paramref name="all"/> (none: the table goes).</summary>
    public static void ApplyRules(IReadOnlyList<BridgeNetwork> all, IReadOnlyList<Ports.PortMapping> ports) => Nft.Apply(Ruleset.For(all, ports));

    /// <summary>Deletes the bridge of a removed network (its address and route go with it).</summary>
    public static void RemoveBridge(string bridgeName)
    {
        using var rt = RtNetlink.Open();
        rt.DeleteLink(bridgeName);
    }

    /// <summary>A fresh host-side veth name: <c>veth</c> and 7 hex digits, as docker's.</summary>
    public static string NewVethName() => "veth" + KernelRandom.Hex(4)[..7];

    /// <summary>Connects the network namespace at <paramref name="netnsPath"/> to <paramref name="network"/>:
    /// a veth pair whose peer is <paramref name="interfaceName"/> there, with <paramref name="address"/> (and
    /// <paramref name="address6"/> on a network with IPv6) and <paramref name="mac"/> (docker's, derived from the
    /// address, when null), up, and (when <paramref name="defaultRoute"/>) the default routes via the gateways. On
    /// failure the pair is deleted again.</summary>
    public static Endpoint Attach(BridgeNetwork network, string netnsPath, string hostVeth, string interfaceName, uint address, bool defaultRoute,
        byte[]? mac = null, UInt128? address6 = null)
    {
        mac ??= AddressAllocator.MacFor(address);
        using var rt = RtNetlink.Open();
        var bridge = rt.LinkIndex(network.BridgeName) ?? throw new BerthException(ErrorKind.Internal, $"bridge {network.BridgeName} of network {network.Name} is missing");
        var nsfd = CheckIo(open(netnsPath, O_RDONLY | O_CLOEXEC, 0), "open", netnsPath);
        try
        {
            rt.AddVethPair(hostVeth, interfaceName, nsfd, mac, network.Mtu, bridge);
        }
        finally
        {
            close(nsfd);
        }
        try
        {
            var host = rt.LinkIndex(hostVeth) ?? throw new BerthException(ErrorKind.Internal, $"veth {hostVeth} vanished");
            rt.SetHairpin(host);
            using var inside = RtNetlink.OpenIn(netnsPath);
            var index = inside.LinkIndex(interfaceName) ?? throw new BerthException(ErrorKind.Internal, $"{interfaceName} is missing in {netnsPath}");
            inside.AddAddress(index, Ipv4Subnet.ToAddress(address), network.Subnet.PrefixLength, Ipv4Subnet.ToAddress(network.Subnet.Broadcast));
            if (address6 is { } a6 && network.Subnet6 is { } subnet6)
                inside.AddAddress6(index, Ipv6Subnet.ToAddress(a6), subnet6.PrefixLength);
            inside.SetUp(index);
            if (defaultRoute)
            {
                inside.AddDefaultRoute(index, Ipv4Subnet.ToAddress(network.Gateway));
                if (address6 is not null && network.Gateway6 is { } gateway6) inside.AddDefaultRoute(index, Ipv6Subnet.ToAddress(gateway6));
            }
        }
        catch
        {
            rt.DeleteLink(hostVeth);
            throw;
        }
        return new Endpoint(hostVeth, interfaceName, address, mac, address6);
    }

    /// <summary>Points the default route of the namespace at <paramref name="netnsPath"/> via
    /// <paramref name="gateway"/> on <paramref name="interfaceName"/>, or removes it (null): the container's gateway
    /// network changed.</summary>
    public static void SetDefaultRoute(string netnsPath, string? interfaceName, uint? gateway)
    {
        using var inside = RtNetlink.OpenIn(netnsPath);
        if (interfaceName is null || gateway is null)
        {
            inside.DeleteDefaultRoute();
            return;
        }
        var index = inside.LinkIndex(interfaceName) ?? throw new BerthException(ErrorKind.Internal, $"{interfaceName} is missing in {netnsPath}");
        inside.ReplaceDefaultRoute(index, Ipv4Subnet.ToAddress(gateway.Value));
    }

    /// <summary>Deletes the host end of a container's veth pair (the peer goes with it); false when it was gone
    /// already, as it is once the container's namespace died.</summary>
    public static bool Detach(string hostVeth)
    {
        using var rt = RtNetlink.Open();
        return rt.DeleteLink(hostVeth);
    }

    /// <summary>Retires the host end of a veth pair whose container namespace is dying: its bridge port stops
    /// forwarding at once, and the kernel deletes the pair with the namespace, in its own time. Deleting it here
    /// instead costs the caller 10–35 ms (unregistering a link waits for RCU grace periods), most of what a bridge
    /// adds to <c>run --rm</c>. False when it was gone already.</summary>
    public static bool Retire(string hostVeth)
    {
        using var rt = RtNetlink.Open();
        return rt.LinkIndex(hostVeth) is { } index && rt.DisablePort(index);
    }

    /// <summary>Whether link <paramref name="name"/> exists in berth's namespace.</summary>
    public static bool HasLink(string name)
    {
        using var rt = RtNetlink.Open();
        return rt.LinkIndex(name) is not null;
    }

    /// <summary>The links of berth's namespace, for finding leftovers.</summary>
    public static IReadOnlyList<string> Links()
    {
        using var rt = RtNetlink.Open();
        return rt.LinkNames();
    }
}
