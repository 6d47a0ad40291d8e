using Berth.Testing;

namespace Berth.Network.Tests.Integration;

/// <summary>docker's default bridge network (issue 11, first part), each case in network namespaces of its own.</summary>
[Collection("network")]
public sealed class DefaultBridgeTests(BusyboxImage image)
{
    [Fact]
    public void AContainerGetsAnAddressARouteItsHostsLineAndOutboundNat()
    {
        // What a container on docker's default bridge sees (reference §1.4), and that the world outside sees the
        // host's address for it (MASQUERADE, §5).
        using var s = new BridgeSandbox(image);
        s.Net.StartEchoPeerServer(8080);
        var output = s.Ok("run", "--rm", "--hostname", "web", "busybox", "sh", "-c",
            $"ip -4 -o addr show eth0 | grep -o 'inet [0-9./]*'; ip route; tail -n1 /etc/hosts; cat /sys/class/net/eth0/address; nc -w 5 {NetworkSandbox.OutsideAddress} 8080 </dev/null");
        Assert.Equal(
            "inet 172.17.0.2/16\ndefault via 172.17.0.1 dev eth0 \n172.17.0.0/16 dev eth0 scope link  src 172.17.0.2 \n" +
            $"172.17.0.2\tweb\n02:42:ac:11:00:02\n{NetworkSandbox.InsideAddress}\n", output);
        // --rm: the veth and the address are gone with the container; the bridge and berth's table stay (as docker0).
        s.WaitForNoVeths();
        Assert.Equal("", s.Endpoints());
        Assert.Contains("berth0", s.Net.InsideLinks());
        var table = s.Net.InsideShell("nft list table ip berth");
        Assert.Contains("ip saddr 172.17.0.0/16 oifname != \"berth0\" masquerade", table.Stdout);
        Assert.Equal("1\n", s.Net.InsideShell("cat /proc/sys/net/ipv4/ip_forward").Stdout);
    }

    [Fact]
    public void AddressesAreLowestFreeReleasedAtStopAndShownByInspect()
    {
        // docker's allocation (reference §1.5): .2, .3, a stopped container's address is free again at once.
        using var s = new BridgeSandbox(image);
        s.Ok("run", "-d", "--name", "c1", "busybox", "sleep", "300");
        s.Ok("run", "-d", "--name", "c2", "busybox", "sleep", "300");
        Assert.Equal("172.17.0.2 172.17.0.1 16 02:42:ac:11:00:02 172.17.0.2\n",
            s.Ok("inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.MacAddress}} {{.NetworkSettings.Networks.bridge.IPAddress}}", "c1"));
        Assert.Equal("172.17.0.3\n", s.Ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "c2"));
        Assert.Equal(2, s.Veths().Count);
        // Containers of one bridge reach each other.
        Assert.Contains("1 packets received", s.Ok("exec", "c2", "ping", "-c", "1", "-W", "3", "172.17.0.2"));
        s.Ok("stop", "-t", "0", "c1");
        Assert.Single(s.Veths());
        Assert.Equal("\n", s.Ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "c1"));
        s.Ok("run", "-d", "--name", "c3", "busybox", "sleep", "300");
        Assert.Equal("172.17.0.2\n", s.Ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "c3"));
        // c1 started again takes the next free address, as docker's c2 in §1.5.
        s.Ok("start", "c1");
        Assert.Equal("172.17.0.4\n", s.Ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "c1"));
    }

    [Fact]
    public void AKilledMonitorLeavesNothingOnceTheExitIsSeen()
    {
        // A crash (monitor and container killed) must not leak the address, port rule or veth (issue 11, teardown).
        using var s = new BridgeSandbox(image);
        s.Ok("run", "-d", "--name", "k", "-p", "9000:80", "busybox", "sleep", "300");
        var id = s.Ok("inspect", "-f", "{{.Id}}", "k").Trim();
        var pid = s.Ok("inspect", "-f", "{{.State.Pid}}", "k").Trim();
        var monitor = Testing.Run.Shell($"ps -o ppid= -p {pid}").Stdout.Trim();
        Testing.Run.Shell($"kill -9 {monitor} {pid}");
        // Nobody has seen the exit yet: system check names what the run still holds, --repair releases it.
        Wait.For(() => s.Net.InsideLinks().All(l => !l.StartsWith("veth", StringComparison.Ordinal)), "the kernel to delete the dead namespace's veth pair");
        Assert.Contains($"DEBRIS network endpoint of container {id}, which is not running: address 172.17.0.2, host port 9000/tcp\n", s.Ok("system", "check"));
        Assert.Contains($"REMOVED network endpoint of container {id}", s.Ok("system", "check", "--repair"));
        Assert.Equal("", s.Endpoints());
        Assert.DoesNotContain("dport 9000", s.Net.InsideShell("nft list table ip berth").Stdout);
        Assert.DoesNotContain("DEBRIS", s.Ok("system", "check"));
        // And a second killed run is released by the first reader that records its exit.
        s.Ok("start", "k");
        pid = s.Ok("inspect", "-f", "{{.State.Pid}}", "k").Trim();
        monitor = Testing.Run.Shell($"ps -o ppid= -p {pid}").Stdout.Trim();
        Testing.Run.Shell($"kill -9 {monitor} {pid}");
        Wait.For(() => s.Ok("ps", "-a", "--format", "{{.Status}}").StartsWith("Exited", StringComparison.Ordinal), "the killed container to be seen exited");
        s.WaitForNoVeths();
        Assert.Equal("", s.Endpoints());
    }

    [Fact]
    public async Task ConcurrentRunsNeverShareAnAddress()
    {
        // Addresses are allocated in one store transaction each: parallel runs get distinct ones (issue 11).
        using var s = new BridgeSandbox(image);
        var runs = Enumerable.Range(0, 4).Select(i => Task.Run(() => s.Run("run", "-d", "--name", $"p{i}", "busybox", "sleep", "300"))).ToArray();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        var addresses = Enumerable.Range(0, 4).Select(i => s.Ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", $"p{i}").Trim()).ToList();
        Assert.Equal(["172.17.0.2", "172.17.0.3", "172.17.0.4", "172.17.0.5"], addresses.Order());
    }

    [Fact]
    public void TheDefaultSubnetAvoidsARouteOfTheNamespace()
    {
        // 172.17/16 already routed elsewhere: the bridge takes the next pool instead of cutting that route off.
        using var s = new BridgeSandbox(image);
        Assert.Equal(0, s.Net.InsideShell($"ip route add 172.17.0.0/16 via {NetworkSandbox.OutsideAddress}").ExitCode);
        Assert.Equal("inet 172.18.0.2/16\n", s.Ok("run", "--rm", "busybox", "sh", "-c", "ip -4 -o addr show eth0 | grep -o 'inet [0-9./]*'"));
    }

    [Fact]
    public void NoneAndHostModesMakeNoBridge()
    {
        // --network none and host keep working as before and create nothing in the namespace.
        using var s = new BridgeSandbox(image);
        Assert.Equal("lo\n", s.Ok("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"));
        s.Ok("run", "--rm", "--network", "host", "busybox", "true");
        Assert.DoesNotContain("berth0", s.Net.InsideLinks());
        Assert.NotEqual(0, s.Net.InsideShell("nft list table ip berth").ExitCode);
    }
}
