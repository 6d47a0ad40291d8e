using Berth.Network.Ipam;
using Berth.Oci.Errors;

namespace Berth.Network.Tests;

public sealed class IpamTests
{
    private static uint Ip(string s) => Ipv4Subnet.ToUInt(System.Net.IPAddress.Parse(s));

    [Fact]
    public void ContainersGetTheLowestFreeAddressAfterTheGateway()
    {
        // docker hands out .2, .3 … and reuses a freed address first (reference §1.5): scripts rely on the order.
        var subnet = Ipv4Subnet.Parse("172.17.0.0/16");
        var gateway = AddressAllocator.Gateway(subnet);
        Assert.Equal("172.17.0.1", Ipv4Subnet.Format(gateway));
        Assert.Equal("172.17.0.2", Ipv4Subnet.Format(AddressAllocator.LowestFree(subnet, gateway, [])));
        Assert.Equal("172.17.0.3", Ipv4Subnet.Format(AddressAllocator.LowestFree(subnet, gateway, [Ip("172.17.0.2")])));
        Assert.Equal("172.17.0.2", Ipv4Subnet.Format(AddressAllocator.LowestFree(subnet, gateway, [Ip("172.17.0.3"), Ip("172.17.0.4")])));
    }

    [Fact]
    public void AFullSubnetIsAnErrorNamingIt()
    {
        // A /30 has two usable addresses: the gateway and one container; the next container must fail clearly.
        var subnet = Ipv4Subnet.Parse("10.9.0.0/30");
        var gw = AddressAllocator.Gateway(subnet);
        Assert.Equal("10.9.0.2", Ipv4Subnet.Format(AddressAllocator.LowestFree(subnet, gw, [])));
        var e = Assert.Throws<BerthException>(() => AddressAllocator.LowestFree(subnet, gw, [Ip("10.9.0.2")]));
        Assert.Contains("10.9.0.0/30", e.Message);
    }

    [Fact]
    public void TheMacIsDockersFromTheAddress()
    {
        // docker 20.10's container MAC is 02:42 and the IPv4 bytes (reference §1.4).
        Assert.Equal("02:42:ac:11:00:02", AddressAllocator.FormatMac(AddressAllocator.MacFor(Ip("172.17.0.2"))));
    }

    [Theory]
    [InlineData("10.50.0.0/33")]
    [InlineData("banana")]
    [InlineData("10.50.0/24")]
    [InlineData("::1/64")]
    public void InvalidSubnetsAreRejectedWithDockersMessage(string cidr)
    {
        var e = Assert.Throws<BerthException>(() => Ipv4Subnet.Parse(cidr));
        Assert.Equal($"Invalid subnet {cidr} : invalid CIDR address: {cidr}", e.Message);
    }

    [Fact]
    public void ThePoolSkipsRoutesAndOtherNetworks()
    {
        // A subnet that clashes with a route of the namespace would cut it off (issue 11): the next pool is taken.
        var routes = new[] { Ipv4Subnet.Parse("0.0.0.0/0"), Ipv4Subnet.Parse("172.17.5.0/24") };
        Assert.Equal("172.18.0.0/16", AddressAllocator.ChoosePool(routes, []).ToString());
        Assert.Equal("172.19.0.0/16", AddressAllocator.ChoosePool(routes, [Ipv4Subnet.Parse("172.18.0.0/16")]).ToString());
        Assert.Equal("172.17.0.0/16", AddressAllocator.ChoosePool([Ipv4Subnet.Parse("0.0.0.0/0")], []).ToString());
        // A route covering every default pool leaves none: docker's error.
        var e = Assert.Throws<BerthException>(() => AddressAllocator.ChoosePool([Ipv4Subnet.Parse("128.0.0.0/1")], []));
        Assert.Equal("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network", e.Message);
    }

    [Fact]
    public void ProcNetRouteIsReadAsLittleEndianHex()
    {
        // /proc/net/route as the kernel prints it (destination and mask little-endian).
        const string text = """
            Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
            eth0	00000000	0100000A	0003	0	0	0	00000000	0	0	0
            eth0	0000000A	00000000	0001	0	0	0	00FFFFFF	0	0	0
            br0	000011AC	00000000	0001	0	0	0	0000FFFF	0	0	0
            """;
        Assert.Equal(["0.0.0.0/0", "10.0.0.0/24", "172.17.0.0/16"], AddressAllocator.ParseProcRoutes(text).Select(s => s.ToString()));
    }
}
