using Berth.Network.Ipam;
using Berth.Network.Nftables;
using Berth.Network.Ports;

namespace Berth.Network.Tests;

public sealed class PortRulesTests
{
    [Fact]
    public void PublishedPortsAreDnatedForLocalDestinations()
    {
        // Kernel DNAT (not a user-space copy) for traffic to any local address, from outside (prerouting) and from
        // the host itself (output, 127.0.0.1 included), and hairpin masquerade for DNATed traffic from the bridge.
        var subnet = Ipv4Subnet.Parse("172.17.0.0/16");
        var net = new BridgeNetwork { Name = "bridge", BridgeName = "berth0", Subnet = subnet, Gateway = AddressAllocator.Gateway(subnet) };
        var ports = new[] { new PortMapping("", 8080, "172.17.0.2", 80, "tcp", "berth0"), new PortMapping("127.0.0.1", 5353, "172.17.0.3", 53, "udp", "berth0") };
        var json = Ruleset.For([net], ports).ToJsonString();
        Assert.Contains("""chain":"prerouting","expr":[{"match":{"op":"==","left":{"fib":{"result":"type","flags":["daddr"]}},"right":"local"}},{"jump":{"target":"ports"}}] """.TrimEnd(), json);
        Assert.Contains("""chain":"output","expr":[{"match":{"op":"==","left":{"fib":{"result":"type","flags":["daddr"]}},"right":"local"}},{"jump":{"target":"ports"}}] """.TrimEnd(), json);
        Assert.Contains("""chain":"ports","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":8080}},{"dnat":{"addr":"172.17.0.2","port":80}}] """.TrimEnd(), json);
        Assert.Contains("""chain":"ports","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":"127.0.0.1"}},{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":5353}},{"dnat":{"addr":"172.17.0.3","port":53}}] """.TrimEnd(), json);
        Assert.Contains("""{"match":{"op":"in","left":{"ct":{"key":"status"}},"right":"dnat"}},{"masquerade":null}""", json);
    }
}
