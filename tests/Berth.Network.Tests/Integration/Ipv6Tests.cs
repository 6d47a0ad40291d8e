using Berth.Testing;

namespace Berth.Network.Tests.Integration;

/// <summary><c>network create --ipv6</c>: an IPv6 address, gateway and default route for each container, published
/// ports for IPv6 too, inspect's IPv6 fields; the default bridge stays IPv4 only (issue 11, IPv6).</summary>
[Collection("network")]
public sealed class Ipv6Tests(BusyboxImage image)
{
    [Fact]
    public void AContainerOnAnIpv6NetworkIsReachedOverIpv6DirectlyAndThroughAPublishedPort()
    {
        // docker's dual-stack bridge: fd00:9::1 on the bridge, ::2 for the first container, its IPv6 default route.
        using var s = new BridgeSandbox(image);
        s.Ok("network", "create", "--ipv6", "--subnet", "fd00:9::/64", "--subnet", "10.63.0.0/24", "v6net");
        Assert.Equal("""true [{"Subnet":"10.63.0.0/24"},{"Subnet":"fd00:9::/64"}]""" + "\n",
            s.Ok("network", "inspect", "-f", "{{.EnableIPv6}} {{json .IPAM.Config}}", "v6net"));
        s.Ok("run", "-d", "--name", "w", "--network", "v6net", "-p", "8080:80", "busybox", "sh", "-c", "while true; do echo hello | nc -l -p 80; done");
        Assert.Equal("fd00:9::2 fd00:9::1 64 10.63.0.2\n",
            s.Ok("inspect", "-f", "{{.NetworkSettings.GlobalIPv6Address}} {{.NetworkSettings.IPv6Gateway}} {{.NetworkSettings.GlobalIPv6PrefixLen}} {{.NetworkSettings.IPAddress}}", "w"));
        Assert.Contains("\"IPv6Address\": \"fd00:9::2/64\"", s.Ok("network", "inspect", "v6net"));
        Assert.Contains("default via fd00:9::1 dev eth0", s.Ok("exec", "w", "ip", "-6", "route"));
        Assert.Contains("1 packets received", s.Ok("exec", "w", "ping", "-c", "1", "-W", "3", "fd00:9::1"));
        Wait.For(() => s.Net.InsideShell("socat -T2 - 'TCP6:[fd00:9::2]:80,connect-timeout=1' </dev/null").Stdout.Trim() == "hello", "the container's server over IPv6");
        // The published port on an IPv6 address of berth's namespace is DNATed by the ip6 table.
        Wait.For(() => s.Net.InsideShell("socat -T2 - 'TCP6:[fd00:9::1]:8080,connect-timeout=1' </dev/null").Stdout.Trim() == "hello", "the published port over IPv6");
        Assert.Contains("dnat to [fd00:9::2]:80", s.Net.InsideShell("nft list table ip6 berth").Stdout);

        // A second container takes ::3; --ip6 takes the one asked for, in docker's words when it cannot.
        Assert.Equal("fd00:9::3/64\n", s.Ok("run", "--rm", "--network", "v6net", "busybox", "sh", "-c", "ip -6 -o addr show eth0 scope global | grep -o 'fd00[0-9a-f:/]*'"));
        Assert.Equal("fd00:9::10/64\n", s.Ok("run", "--rm", "--network", "v6net", "--ip6", "fd00:9::10", "busybox", "sh", "-c", "ip -6 -o addr show eth0 scope global | grep -o 'fd00[0-9a-f:/]*'"));
        s.Run("run", "--rm", "--network", "v6net", "--ip6", "fd00:9::2", "busybox", "true").AssertExit(125, "Address already in use");
        s.Run("run", "--rm", "--network", "v6net", "--ip6", "fd00:8::2", "busybox", "true").AssertExit(125, "Invalid address fd00:8::2: It does not belong to any of this network's subnets");
        s.Run("network", "create", "--ipv6", "--subnet", "fd00:9::/80", "clash").AssertExit(1, "Pool overlaps with other one on this address space");

        // Teardown: the ip6 table goes with the last IPv6 network.
        s.Ok("rm", "-f", "w");
        s.Ok("network", "rm", "v6net");
        Assert.NotEqual(0, s.Net.InsideShell("nft list table ip6 berth").ExitCode);
        Assert.DoesNotContain("fd00:9::1", s.Net.InsideShell("ip -6 addr").Stdout);
    }

    [Fact]
    public void TheDefaultBridgeStaysIpv4OnlyAndIpv6AloneGetsAUniqueLocalSubnet()
    {
        // docker's default bridge has no IPv6; --ipv6 without a subnet gets a /64 of fd00::/8 (docker 27+).
        using var s = new BridgeSandbox(image);
        Assert.Equal("", s.Ok("run", "--rm", "busybox", "sh", "-c", "ip -6 -o addr show eth0 scope global"));
        Assert.Equal("false\n", s.Ok("network", "inspect", "-f", "{{.EnableIPv6}}", "bridge"));
        Assert.NotEqual(0, s.Net.InsideShell("nft list table ip6 berth").ExitCode);
        s.Ok("network", "create", "--ipv6", "ula");
        Assert.Matches("^true fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::/64\n$", s.Ok("network", "inspect", "-f", "{{.EnableIPv6}} {{(index .IPAM.Config 1).Subnet}}", "ula"));
    }
}
