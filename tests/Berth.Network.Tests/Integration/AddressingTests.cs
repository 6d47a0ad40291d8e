using Berth.Testing;

namespace Berth.Network.Tests.Integration;

/// <summary>Addresses asked for and handed out (issue 11: <c>--ip</c>, <c>--ip-range</c>, <c>--gateway</c>,
/// <c>--mac-address</c>), with the errors docker CLI 28 prints against dockerd 20.10 (reference §2.6, §2.8).</summary>
[Collection("network")]
public sealed class AddressingTests(BusyboxImage image)
{
    private static string Ip(BridgeSandbox s, string container) => s.Ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", container).Trim();

    [Fact]
    public void ARangeAnAddressAndAMacAskedForAreWhatTheContainerGets()
    {
        // docker: automatic addresses come from --ip-range, --ip may be anywhere in the subnet, --mac-address is the
        // interface's MAC; scripts rely on these addresses being exactly the ones asked for.
        using var s = new BridgeSandbox(image);
        s.Ok("network", "create", "--subnet", "10.50.0.0/24", "--gateway", "10.50.0.254", "--ip-range", "10.50.0.128/25", "custom");
        Assert.Equal("""[{"Subnet":"10.50.0.0/24","IPRange":"10.50.0.128/25","Gateway":"10.50.0.254"}]""" + "\n",
            s.Ok("network", "inspect", "-f", "{{json .IPAM.Config}}", "custom"));
        s.Ok("run", "-d", "--name", "auto", "--network", "custom", "busybox", "sleep", "300");
        Assert.Equal("10.50.0.128", Ip(s, "auto"));
        Assert.Equal("inet 10.50.0.10/24\n02:00:00:00:00:11\ndefault via 10.50.0.254 dev eth0 \n",
            s.Ok("run", "--rm", "--network", "custom", "--ip", "10.50.0.10", "--mac-address", "02:00:00:00:00:11", "busybox", "sh", "-c",
                "ip -4 -o addr show eth0 | grep -o 'inet [0-9./]*'; cat /sys/class/net/eth0/address; ip route | grep default"));
        s.Ok("run", "-d", "--name", "fixed", "--network", "custom", "--ip", "10.50.0.10", "--mac-address", "02:00:00:00:00:12", "busybox", "sleep", "300");
        Assert.Equal("""{"IPv4Address":"10.50.0.10"} 10.50.0.10 02:00:00:00:00:12""" + "\n",
            s.Ok("inspect", "-f", "{{json .NetworkSettings.Networks.custom.IPAMConfig}} {{.NetworkSettings.IPAddress}} {{.NetworkSettings.MacAddress}}", "fixed"));
        Assert.Contains("\"MacAddress\": \"02:00:00:00:00:12\"", s.Ok("network", "inspect", "custom"));

        // Address errors come at start: run has made the container, which stays created (docker's order).
        s.Run("run", "-d", "--name", "taken", "--network", "custom", "--ip", "10.50.0.10", "busybox", "sleep", "300").AssertExit(125, "Address already in use");
        Assert.Equal("created\n", s.Ok("inspect", "-f", "{{.State.Status}}", "taken"));
        foreach (var inUse in new[] { "10.50.0.254", "10.50.0.0", "10.50.0.255" })
            s.Run("run", "--rm", "--network", "custom", "--ip", inUse, "busybox", "true").AssertExit(125, "Address already in use");
        s.Run("run", "--rm", "--network", "custom", "--ip", "10.60.0.5", "busybox", "true")
            .AssertExit(125, "Invalid address 10.60.0.5: It does not belong to any of this network's subnets");
        s.Run("run", "--rm", "--ip", "172.17.0.50", "busybox", "true").AssertExit(125, "user specified IP address is supported on user defined networks only");
        s.Run("run", "--rm", "--network", "none", "--ip", "10.50.0.20", "busybox", "true").AssertExit(125, "user specified IP address is supported on user defined networks only");
        s.Ok("network", "create", "pooled");
        s.Run("run", "--rm", "--network", "pooled", "--ip", "172.18.0.77", "busybox", "true")
            .AssertExit(125, "user specified IP address is supported only when connecting to networks with user configured subnets");
        s.Run("run", "--rm", "--network", "custom", "--ip6", "fd00::5", "busybox", "true")
            .AssertExit(125, "user specified IP address is supported only when connecting to networks with user configured subnets");
        // Values that are not addresses: dockerd's words at create, nothing made; the MAC is docker/cli's usage error.
        s.Run("run", "--rm", "--network", "custom", "--ip", "banana", "busybox", "true").AssertExit(125, "invalid IPv4 address: banana");
        s.Run("run", "--rm", "--network", "custom", "--ip", "::1", "busybox", "true").AssertExit(125, "invalid IPv4 address: ::1");
        s.Run("run", "--rm", "--network", "custom", "--ip6", "10.1.1.1", "busybox", "true").AssertExit(125, "invalid IPv6 address: 10.1.1.1");
        s.Run("run", "--rm", "--mac-address", "banana", "busybox", "true").AssertExit(125, "banana is not a valid mac address");
        s.Run("network", "create", "--subnet", "10.51.0.0/24", "--ip-range", "10.52.0.0/25", "x").AssertExit(1, "no matching subnet for range 10.52.0.0/25");
        s.Run("network", "create", "--ip-range", "10.52.0.0/25", "x").AssertExit(1, "every ip-range or gateway must have a corresponding subnet");
        s.Run("network", "create", "--subnet", "10.56.0.0/24", "--gateway", "10.56.0.0", "x").AssertExit(1, "failed to allocate gateway (10.56.0.0): Address already in use");
        s.Run("network", "inspect", "x").AssertExit(1, "No such network: x");
        // Nothing of the failed runs is left: two veths (auto, fixed), two addresses.
        Assert.Equal(2, s.Veths().Count);
        Assert.Equal(2, s.Endpoints().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task ConcurrentRunsOnARangeNeverShareAnAddress()
    {
        // Each address is chosen and recorded in one store transaction: parallel runs on a small --ip-range get
        // its first four addresses, each once (issue 11: no address handed out twice).
        using var s = new BridgeSandbox(image);
        s.Ok("network", "create", "--subnet", "10.70.0.0/24", "--ip-range", "10.70.0.8/29", "ranged");
        var runs = Enumerable.Range(0, 4).Select(i => Task.Run(() => s.Run("run", "-d", "--name", $"r{i}", "--network", "ranged", "busybox", "sleep", "300"))).ToArray();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.Equal(["10.70.0.10", "10.70.0.11", "10.70.0.8", "10.70.0.9"], Enumerable.Range(0, 4).Select(i => Ip(s, $"r{i}")).Order(StringComparer.Ordinal));
    }
}
