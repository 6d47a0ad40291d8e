using Berth.Testing;

namespace Berth.Network.Tests.Integration;

/// <summary><c>--network container:NAME|ID</c> and the options it excludes, and <c>--network host</c>'s checks, as
/// dockerd 20.10 answers them (runconfig's conflicting options, reference §2.7).</summary>
[Collection("network")]
public sealed class ContainerNetworkModeTests(BusyboxImage image)
{
    [Fact]
    public void AContainerJoinsAnothersNetworkAndTakesItsNameHostsAndAddress()
    {
        // A sidecar shares the other container's interfaces: same eth0, same address, same hostname and hosts file.
        using var s = new BridgeSandbox(image);
        s.Ok("run", "-d", "--name", "a1", "--hostname", "web", "busybox", "sleep", "300");
        var id = s.Ok("inspect", "-f", "{{.Id}}", "a1").Trim();
        var mac = s.Ok("inspect", "-f", "{{.NetworkSettings.MacAddress}}", "a1").Trim();
        Assert.Equal($"web\ninet 172.17.0.2/16\n172.17.0.2\tweb\n{mac}\n",
            s.Ok("run", "--rm", "--network", "container:a1", "busybox", "sh", "-c",
                "hostname; ip -4 -o addr show eth0 | grep -o 'inet [0-9./]*'; tail -n1 /etc/hosts; cat /sys/class/net/eth0/address"));
        s.Ok("create", "--name", "side", "--network", $"container:{id[..12]}", "busybox", "sleep", "300");
        Assert.Equal($"container:{id} {{}} []\n",
            s.Ok("inspect", "-f", "{{.HostConfig.NetworkMode}} {{json .NetworkSettings.Networks}} [{{.NetworkSettings.IPAddress}}]", "side"));
        s.Ok("start", "side");
        Assert.Equal(mac + "\n", s.Ok("exec", "side", "cat", "/sys/class/net/eth0/address"));
        // It made no veth and no address of its own.
        Assert.Single(s.Veths());
        Assert.Single(s.Endpoints().Split('\n', StringSplitOptions.RemoveEmptyEntries));

        s.Ok("create", "--name", "st", "busybox", "true");
        var st = s.Ok("inspect", "-f", "{{.Id}}", "st").Trim();
        s.Run("run", "--rm", "--network", "container:st", "busybox", "true").AssertExit(125, $"cannot join network of a non running container: {st}");
        s.Run("run", "--rm", "--network", "container:nosuch", "busybox", "true").AssertExit(125, "No such container: nosuch");
        s.Run("run", "-d", "--name", "selfy", "--network", "container:selfy", "busybox", "true").AssertExit(125, "cannot join own network");
        s.Run("run", "--rm", "--network", "container:", "busybox", "true").AssertExit(125, "Invalid network mode: invalid container format container:<name|id>");
    }

    [Fact]
    public void AnOwnerThatStopsTakesItsInterfacesFromTheContainersThatJoinedIt()
    {
        // As with docker: the namespace lives on in the sidecar, without the owner's veth and address. Its veth is
        // deleted by the owner's end (not left to the namespace's death, which the sidecar holds off).
        using var s = new BridgeSandbox(image);
        s.Ok("run", "-d", "--name", "owner", "busybox", "sleep", "300");
        s.Ok("run", "-d", "--name", "side", "--network", "container:owner", "busybox", "sleep", "300");
        Assert.Single(s.Veths());
        s.Ok("kill", "owner");
        s.Ok("wait", "owner");
        Wait.For(() => s.Endpoints() == "", "the owner's end to release its address");
        Assert.Empty(s.Veths());
        Assert.Equal("lo\n", s.Ok("exec", "side", "ls", "/sys/class/net"));
    }

    [Theory]
    [InlineData("container:a1", "-h", "foo", "conflicting options: hostname and the network mode")]
    [InlineData("container:a1", "--dns", "10.0.0.9", "conflicting options: dns and the network mode")]
    [InlineData("container:a1", "--add-host", "db:10.0.0.9", "conflicting options: custom host-to-IP mapping and the network mode")]
    [InlineData("container:a1", "--mac-address", "02:00:00:00:00:11", "conflicting options: mac-address and the network mode")]
    [InlineData("container:a1", "-p", "80", "conflicting options: port publishing and the container type network mode")]
    [InlineData("container:a1", "--expose", "80", "conflicting options: port exposing and the container type network mode")]
    [InlineData("host", "--mac-address", "02:00:00:00:00:11", "conflicting options: mac-address and the network mode")]
    public void OptionsThatTheNetworkModeOwnsAreRefused(string mode, string flag, string value, string message)
    {
        // dockerd refuses these before anything is made; run exits 125 and no container exists.
        using var s = new BridgeSandbox(image);
        s.Run("run", "--name", "refused", "--network", mode, flag, value, "busybox", "true").AssertExit(125, message);
        s.Run("inspect", "refused").AssertExit(1, "No such object: refused");
    }

    [Fact]
    public void HostModeDiscardsPublishedPortsWithDockersWarning()
    {
        // The ports are the host's already: docker warns and runs; berth adds no rule and no bridge.
        using var s = new BridgeSandbox(image);
        var r = s.Run("run", "--rm", "--network", "host", "-p", "8080:80", "-h", "named", "busybox", "hostname");
        r.AssertExit(0, "WARNING: Published ports are discarded when using host network mode");
        Assert.Equal("named\n", r.Stdout);
        Assert.DoesNotContain("berth0", s.Net.InsideLinks());
    }
}
