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
            "add rule", "add rule", "add rule", "add rule", "add rule"], Commands(doc));
        Assert.All(doc["nftables"]!.AsArray(), c => Assert.Equal("berth", (string?)(c!.AsObject().First().Value!.AsObject().First().Value!["table"] ?? c!.AsObject().First().Value!.AsObject().First().Value!["name"])));
    }

    [Fact]
    public void WithoutNetworksTheTableIsRemoved()
    {
        // The last network's removal leaves no berth table behind (issue 11: created and removed whole).
        Assert.Equal(["add table", "delete table"], Commands(Ruleset.For([])));
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
