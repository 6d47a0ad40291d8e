using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>lo is up in a container's own network namespace and in build RUN steps, as docker's sandbox brings it
/// up in every network mode (issue 13).</summary>
[Collection("containers")]
public sealed class LoopbackTests(BusyboxFixture image)
{
    // A server on 127.0.0.1 answering a client in the same container, then lo's flags (0x9: IFF_UP|IFF_LOOPBACK).
    private const string LoopbackProbe =
        "echo hi > /tmp/index.html; httpd -p 127.0.0.1:8080 -h /tmp && wget -qO- http://127.0.0.1:8080/; cat /sys/class/net/lo/flags; " +
        "ip -4 addr show lo | grep -o 'inet [0-9./]*'";

    [Fact]
    public void LoopbackIsUpWithNetworkNone()
    {
        using var s = new ContainerStore(image);
        Assert.Equal("hi\n0x9\ninet 127.0.0.1/8\n", s.Ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", LoopbackProbe));
        // The default mode of the test suites is none too (BERTH_DEFAULT_NETWORK, see Berth.Testing.HostNetworkGuard).
        Assert.Equal("hi\n0x9\ninet 127.0.0.1/8\n", s.Ok("run", "--rm", "busybox", "sh", "-c", LoopbackProbe));
    }

    [Fact]
    public void LoopbackIsUpInBuildRunSteps()
    {
        using var s = new ContainerStore(image);
        var context = s.Dir.Combine("ctx");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM busybox\nRUN sh -c \"{LoopbackProbe.Replace("\"", "\\\"")}\" > /probe.txt\n");
        s.Ok("build", "-q", "-t", "probe", context);
        Assert.Equal("hi\n0x9\ninet 127.0.0.1/8\n", s.Ok("run", "--rm", "probe", "cat", "/probe.txt"));
    }
}
