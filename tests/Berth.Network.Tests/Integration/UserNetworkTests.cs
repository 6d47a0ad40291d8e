using Berth.Testing;

namespace Berth.Network.Tests.Integration;

/// <summary>User-defined bridge networks (issue 11, third and fifth parts): create/ls/inspect/rm/prune with docker's
/// outputs and errors, isolation between networks, <c>--internal</c>.</summary>
[Collection("network")]
public sealed class UserNetworkTests(BusyboxImage image)
{
    [Fact]
    public void NetworksAreCreatedListedInspectedAndRemovedAsDockers()
    {
        // docker's outputs (reference §2.2, §2.3, §2.6) and errors (§2.8).
        using var s = new BridgeSandbox(image);
        var id = s.Ok("network", "create", "net1").Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.Contains($"br-{id[..12]}", s.Net.InsideLinks());
        s.Ok("network", "create", "--subnet", "10.50.0.0/24", "--gateway", "10.50.0.254", "-o", "com.docker.network.bridge.name=mybr0", "custom");
        s.Run("network", "create", "net1").AssertExit(1, "network with name net1 already exists");
        s.Run("network", "create", "--subnet", "10.50.0.0/16", "x").AssertExit(1, "Pool overlaps with other one on this address space");
        s.Run("network", "create", "--subnet", "banana", "x").AssertExit(1, "Invalid subnet banana : invalid CIDR address: banana");
        s.Run("network", "create", "--gateway", "10.70.0.1", "x").AssertExit(1, "every ip-range or gateway must have a corresponding subnet");
        s.Run("network", "create", "--subnet", "10.71.0.0/24", "--gateway", "10.72.0.1", "x").AssertExit(1, "no matching subnet for gateway 10.72.0.1");
        Assert.Equal("bridge bridge\ncustom bridge\nhost host\nnet1 bridge\nnone null\n", s.Ok("network", "ls", "--format", "{{.Name}} {{.Driver}}"));
        Assert.Equal("""[{"Subnet":"10.50.0.0/24","Gateway":"10.50.0.254"}] mybr0""" + "\n",
            s.Ok("network", "inspect", "-f", "{{json .IPAM.Config}} {{index .Options \"com.docker.network.bridge.name\"}}", "custom"));
        s.Ok("run", "-d", "--name", "c1", "--network", "custom", "busybox", "sleep", "300");
        Assert.Equal("10.50.0.1 10.50.0.254\n", s.Ok("inspect", "-f", "{{.NetworkSettings.Networks.custom.IPAddress}} {{.NetworkSettings.Networks.custom.Gateway}}", "c1"));
        Assert.Contains("\"IPv4Address\": \"10.50.0.1/24\"", s.Ok("network", "inspect", "custom"));
        s.Run("network", "rm", "custom").AssertExit(1, "has active endpoints");
        s.Ok("rm", "-f", "c1");
        Assert.Equal("custom\n", s.Ok("network", "rm", "custom"));
        Assert.DoesNotContain("mybr0", s.Net.InsideLinks());
        Assert.Equal("Deleted Networks:\nnet1\n\n", s.Ok("network", "prune", "-f"));
        Assert.DoesNotContain($"br-{id[..12]}", s.Net.InsideLinks());
        s.Run("network", "inspect", "net1").AssertExit(1, "No such network: net1");
        s.Run("run", "--rm", "--network", "nosuch", "busybox", "true").AssertExit(125, "network nosuch not found");
    }

    [Fact]
    public void NetworksAreIsolatedAndAnInternalOneHasNoWayOut()
    {
        // Containers on different networks cannot reach each other (dropped, §6); --internal has no way out (§2.5).
        using var s = new BridgeSandbox(image);
        s.Ok("network", "create", "--subnet", "10.60.0.0/24", "n1");
        s.Ok("network", "create", "--subnet", "10.61.0.0/24", "n2");
        s.Ok("network", "create", "--internal", "--subnet", "10.62.0.0/24", "inner");
        s.Ok("run", "-d", "--name", "a", "--network", "n1", "busybox", "sleep", "300");
        s.Ok("run", "-d", "--name", "a2", "--network", "n1", "busybox", "sleep", "300");
        s.Ok("run", "-d", "--name", "b", "--network", "n2", "busybox", "sleep", "300");
        s.Ok("run", "-d", "--name", "i", "--network", "inner", "busybox", "sleep", "300");
        Assert.Contains(" 0% packet loss", s.Ok("exec", "a", "ping", "-c", "1", "-W", "2", "10.60.0.3"));
        s.Run("exec", "a", "ping", "-c", "1", "-W", "1", "10.61.0.2").AssertExit(1, "");
        Assert.Contains("100% packet loss", s.Run("exec", "a", "ping", "-c", "1", "-W", "1", "10.61.0.2").Stdout);
        Assert.Contains(" 0% packet loss", s.Ok("exec", "a", "ping", "-c", "1", "-W", "2", NetworkSandbox.OutsideAddress));
        Assert.Contains("100% packet loss", s.Run("exec", "i", "ping", "-c", "1", "-W", "1", NetworkSandbox.OutsideAddress).Stdout);
        Assert.Contains("100% packet loss", s.Run("exec", "i", "ping", "-c", "1", "-W", "1", "10.60.0.2").Stdout);
    }
}
