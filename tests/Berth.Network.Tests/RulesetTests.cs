using System.Text.Json.Nodes;
using Berth.Network.Ipam;
using Berth.Network.Nftables;

namespace Berth.Network.Tests;

public sealed class RulesetTests
{
    private static BridgeNetwork Net(string name, string bridge, string subnet, bool masquerade = true)
    {
        var s = Ipv4Subnet.Parse(subnet);
        return new BridgeNetwork { Name = name, BridgeName = bridge, Subnet = s, Gateway = AddressAllocator.Gateway(s), Masquerade = masquerade };
    }

    private static IEnumerable<string> Commands(JsonObject doc) =>
        doc["nftables"]!.AsArray().Select(c => c!.AsObject().First().Key + " " + c!.AsObject().First().Value!.AsObject().First().Key);

    [Fact]
    public void TheTableIsReplacedWholeInOneTransaction()
    {
        // add+delete+add makes a rerun idempotent and never touches a table that is not berth's.
        var doc = Ruleset.For([Net("bridge", "berth0", "172.17.0.0/16")]);
        Assert.Equal(["add table", "delete table", "add table", "add chain", "add chain", "add chain", "add chain", "add chain", "add rule", "add rule",
            "add rule", "add rule", "add rule", "add rule", "add rule", "add table", "delete table"], Commands(doc));
        Assert.All(doc["nftables"]!.AsArray(), c => Assert.Equal("berth", (string?)(c!.AsObject().First().Value!.AsObject().First().Value!["table"] ?? c!.AsObject().First().Value!.AsObject().First().Value!["name"])));
    }

    [Fact]
    public void WithoutNetworksTheTableIsRemoved()
    {
        // The last network's removal leaves no berth table behind (issue 11: created and removed whole).
        Assert.Equal(["add table", "delete table", "add table", "delete table"], Commands(Ruleset.For([])));
    }

    [Fact]
    public void AnIpv6NetworkGetsAnIp6TableWithItsMasqueradeAndPortsToTheContainersIpv6Address()
    {
        // IPv6 traffic is NATed as docker's ip6tables rules do; an IPv4-only ruleset leaves no ip6 table (the
        // add+delete pair above removes it), so the default bridge stays IPv4 only.
        var v6 = Net("v6", "br-v6", "10.9.0.0/24") with { Subnet6 = Ipv6Subnet.Parse("fd00:9::/64"), Gateway6 = Ipv6Subnet.ToUInt128(System.Net.IPAddress.Parse("fd00:9::1")) };
        var json = Ruleset.For([v6], [new Ports.PortMapping("", 8080, "10.9.0.2", 80, "tcp", "br-v6", "fd00:9::2")]).ToJsonString();
        Assert.Contains("""{"add":{"rule":{"family":"ip6","table":"berth","chain":"postrouting","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip6","field":"saddr"}},"right":{"prefix":{"addr":"fd00:9::","len":64}}}},{"match":{"op":"!=","left":{"meta":{"key":"oifname"}},"right":"br-v6"}},{"masquerade":null}]}}}""", json);
        Assert.Contains("""{"family":"ip6","table":"berth","chain":"ports","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":8080}},{"dnat":{"addr":"fd00:9::2","port":80}}]}""", json);
        Assert.Contains("""{"family":"ip","table":"berth","chain":"ports","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":8080}},{"dnat":{"addr":"10.9.0.2","port":80}}]}""", json);
    }

    [Fact]
    public void EachSubnetIsMasqueradedOutsideItsBridge()
    {
        // Outbound NAT: traffic from the subnet that leaves by another interface (docker's POSTROUTING MASQUERADE).
        var doc = Ruleset.For([Net("bridge", "berth0", "172.17.0.0/16"), Net("inner", "br-x", "10.5.0.0/24", masquerade: false)]);
        var json = doc.ToJsonString();
        Assert.Contains("""{"rule":{"family":"ip","table":"berth","chain":"postrouting","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":{"prefix":{"addr":"172.17.0.0","len":16}}}},{"match":{"op":"!=","left":{"meta":{"key":"oifname"}},"right":"berth0"}},{"masquerade":null}]}}""", json);
        Assert.DoesNotContain("10.5.0.0", json);
    }
}
