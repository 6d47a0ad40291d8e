using Berth.Network.Ipam;
using Berth.Oci.Errors;

namespace Berth.Network.Tests;

/// <summary><c>network create --subnet/--gateway/--ip-range</c> and <c>run --ip/--ip6/--mac-address</c> as the bridge
/// driver's IPAM sees them, with docker's errors (checked against dockerd 20.10 and docker CLI 28).</summary>
public sealed class IpamConfigTests
{
    private static uint Ip(string s) => Ipv4Subnet.ToUInt(System.Net.IPAddress.Parse(s));

    [Fact]
    public void ARangeHandsOutItsOwnAddressesFirstAndFromItsStart()
    {
        // docker: --ip-range 10.50.0.128/25 gives the first container 10.50.0.128 (reference §2.6), never the
        // broadcast address at the range's end, nor the subnet's network address at a range's start.
        var subnet = Ipv4Subnet.Parse("10.50.0.0/24");
        var gw = Ip("10.50.0.254");
        Assert.Equal("10.50.0.128", Ipv4Subnet.Format(AddressAllocator.LowestFree(subnet, gw, [], Ipv4Subnet.Parse("10.50.0.128/25"))));
        Assert.Equal("10.50.0.129", Ipv4Subnet.Format(AddressAllocator.LowestFree(subnet, gw, [Ip("10.50.0.128")], Ipv4Subnet.Parse("10.50.0.128/25"))));
        Assert.Equal("10.50.0.1", Ipv4Subnet.Format(AddressAllocator.LowestFree(subnet, gw, [], Ipv4Subnet.Parse("10.50.0.0/25"))));
        var full = Enumerable.Range(252, 3).Select(i => Ip($"10.50.0.{i}")).ToList();
        var e = Assert.Throws<BerthException>(() => AddressAllocator.LowestFree(subnet, gw, full, Ipv4Subnet.Parse("10.50.0.252/30")));
        Assert.Contains("10.50.0.252/30", e.Message);
    }

    [Fact]
    public void ARequestedAddressMustBeInTheSubnetAndFree()
    {
        // docker's words and kinds: outside → "does not belong" (invalid), network/broadcast/gateway/held → "in use".
        var subnet = Ipv4Subnet.Parse("10.50.0.0/24");
        var gw = Ip("10.50.0.254");
        AddressAllocator.CheckRequested(subnet, gw, [], Ip("10.50.0.10"));
        var outside = Assert.Throws<BerthException>(() => AddressAllocator.CheckRequested(subnet, gw, [], Ip("10.60.0.5")));
        Assert.Equal("Invalid address 10.60.0.5: It does not belong to any of this network's subnets", outside.Message);
        Assert.Equal(ErrorKind.InvalidArgument, outside.Kind);
        foreach (var taken in new[] { "10.50.0.0", "10.50.0.255", "10.50.0.254", "10.50.0.7" })
        {
            var e = Assert.Throws<BerthException>(() => AddressAllocator.CheckRequested(subnet, gw, [Ip("10.50.0.7")], Ip(taken)));
            Assert.Equal(("Address already in use", ErrorKind.Conflict), (e.Message, e.Kind));
        }
        var subnet6 = Ipv6Subnet.Parse("fd00:2::/64");
        var gw6 = subnet6.Network + 1;
        Assert.Equal("fd00:2::2", Ipv6Subnet.Format(AddressAllocator.LowestFree6(subnet6, gw6, [])));
        Assert.Equal("fd00:2::3", Ipv6Subnet.Format(AddressAllocator.LowestFree6(subnet6, gw6, [subnet6.Network + 2])));
        Assert.Equal("Address already in use", Assert.Throws<BerthException>(() => AddressAllocator.CheckRequested6(subnet6, gw6, [], gw6)).Message);
        Assert.Contains("does not belong", Assert.Throws<BerthException>(() => AddressAllocator.CheckRequested6(subnet6, gw6, [], Ipv6Subnet.ToUInt128(System.Net.IPAddress.Parse("fd00:3::5")))).Message);
    }

    [Theory]
    [InlineData("10.51.0.0/24", "", "10.52.0.0/25", "no matching subnet for range 10.52.0.0/25")]
    [InlineData("", "", "10.52.0.0/25", "every ip-range or gateway must have a corresponding subnet")]
    [InlineData("10.53.0.0/24", "", "banana", "invalid CIDR address: banana")]
    [InlineData("10.54.0.0/24", "banana", "", "no matching subnet for gateway banana")]
    [InlineData("10.56.0.0/24", "10.56.0.0", "", "failed to allocate gateway (10.56.0.0): Address already in use")]
    [InlineData("10.57.0.0/24", "10.57.0.255", "", "failed to allocate gateway (10.57.0.255): Address already in use")]
    [InlineData("10.59.0.0/24,10.60.0.0/24", "", "", "bridge driver doesn't support multiple subnets")]
    [InlineData("10.80.0.0/24", "", "10.80.0.0/26,10.80.0.64/26", "every ip-range or gateway must have a corresponding subnet")]
    [InlineData("10.81.0.0/24", "10.81.0.1,10.81.0.2", "", "every ip-range or gateway must have a corresponding subnet")]
    [InlineData("fd00:8::/64", "", "10.9.0.0/24", "no matching subnet for range 10.9.0.0/24")]
    [InlineData("10.50.0.0/33", "", "", "Invalid subnet 10.50.0.0/33 : invalid CIDR address: 10.50.0.0/33")]
    public void BadIpamFlagsGetDockersErrors(string subnets, string gateways, string ranges, string message)
    {
        // Observed with docker CLI 28 against dockerd 20.10: scripts and users match these words.
        static string[] List(string s) => s.Length == 0 ? [] : s.Split(',');
        var e = Assert.Throws<BerthException>(() => IpamConfig.Parse(List(subnets), List(gateways), List(ranges)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void OneIpv4AndOneIpv6SubnetMatchTheirGatewaysAndRanges()
    {
        // --subnet fd00:9::/64 --gateway fd00:9::fe with an IPv4 subnet and range: each flag finds its family's subnet.
        var c = IpamConfig.Parse(["fd00:9::/64", "10.61.0.0/24"], ["fd00:9::fe", "10.61.0.254"], ["10.61.0.0/25"]);
        Assert.Equal(("10.61.0.0/24", "10.61.0.254", "10.61.0.0/25"), (c.Subnet.ToString(), Ipv4Subnet.Format(c.Gateway!.Value), c.IpRange.ToString()));
        Assert.Equal(("fd00:9::/64", "fd00:9::fe"), (c.Subnet6.ToString(), Ipv6Subnet.Format(c.Gateway6!.Value)));
    }

    [Fact]
    public void MacAddressesParseAsDockersAndOthersAreRefused()
    {
        // --mac-address takes colon or dash forms of six bytes; anything else is docker/cli's usage error.
        Assert.Equal("02:00:00:00:00:11", AddressAllocator.FormatMac(AddressAllocator.TryParseMac("02:00:00:00:00:11")!));
        Assert.Equal("92:d0:c6:0a:29:33", AddressAllocator.FormatMac(AddressAllocator.TryParseMac("92-D0-C6-0A-29-33")!));
        Assert.Null(AddressAllocator.TryParseMac("banana"));
        Assert.Null(AddressAllocator.TryParseMac("02:00:00:00:00"));
        Assert.Null(AddressAllocator.TryParseMac("02:00:00:00:00:1"));
    }

    [Fact]
    public void AnUniqueLocalSubnetIsAFreshSlash64InFd00()
    {
        // --ipv6 without an IPv6 subnet: a ULA /64 (RFC 4193), as docker 27+ hands out.
        var s = AddressAllocator.RandomUniqueLocal();
        Assert.Equal(64, s.PrefixLength);
        Assert.StartsWith("fd", s.ToString());
        Assert.NotEqual(s, AddressAllocator.RandomUniqueLocal());
    }
}
