using Berth.Testing;

namespace Berth.Network.Tests.Integration;

/// <summary>RUN steps of a build get the default network (docker's bridge), as the classic builder and BuildKit give
/// them, or none or the host's when asked (<c>RUN --network</c>, <c>build --network</c>); the step's endpoint goes
/// with the step (issue 11, builds).</summary>
[Collection("network")]
public sealed class BuildNetworkTests(BusyboxImage image)
{
    [Fact]
    public void RunStepsReachTheOutsideThroughTheBridgeAndKeepToNoneOrHostWhenAsked()
    {
        // An apk add / apt-get in a RUN needs the network; --network=none must not have it.
        using var s = new BridgeSandbox(image);
        s.Net.StartEchoPeerServer(8080);
        using var dir = new TempDirectory("berth-net-build");
        File.WriteAllText(dir.Combine("Dockerfile"), $"""
            FROM busybox
            RUN nc -w 5 {NetworkSandbox.OutsideAddress} 8080 </dev/null > /peer && ls /sys/class/net > /default-links
            RUN --network=none ls /sys/class/net > /none-links
            RUN --network=host ls /sys/class/net > /host-links
            """);
        s.Ok("build", "-q", "-t", "netbuild", dir.Path);
        // The outside saw berth's own address: the step's traffic left by the bridge and was masqueraded.
        Assert.Equal($"{NetworkSandbox.InsideAddress}\neth0\nlo\nlo\n",
            s.Ok("run", "--rm", "--network", "none", "netbuild", "cat", "/peer", "/default-links", "/none-links"));
        Assert.Contains(s.Net.UplinkName, s.Ok("run", "--rm", "--network", "none", "netbuild", "cat", "/host-links"));
        s.WaitForNoVeths();
        Assert.Equal("", s.Endpoints());

        // build --network none: every step without its own --network has only lo.
        File.WriteAllText(dir.Combine("Dockerfile"), "FROM busybox\nRUN ls /sys/class/net > /links\n");
        s.Ok("build", "-q", "--network", "none", "-t", "nonebuild", dir.Path);
        Assert.Equal("lo\n", s.Ok("run", "--rm", "--network", "none", "nonebuild", "cat", "/links"));
        s.Run("build", "--network", "nosuch", dir.Path).AssertExit(1, "--network=nosuch");
    }
}
