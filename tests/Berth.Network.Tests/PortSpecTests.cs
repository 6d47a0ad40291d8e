using Berth.Network.Ports;
using Berth.Oci.Errors;

namespace Berth.Network.Tests;

public sealed class PortSpecTests
{
    private static string Show(string spec) =>
        string.Join(" ", PortSpec.Parse(spec).Select(p => $"{(p.HostIp.Length == 0 ? "*" : p.HostIp)}:{p.HostPortFirst}-{p.HostPortLast}>{p.Key}"));

    [Theory]
    [InlineData("80", "*:0-0>80/tcp")]
    [InlineData("8080:80", "*:8080-8080>80/tcp")]
    [InlineData("127.0.0.1:8090:80", "127.0.0.1:8090-8090>80/tcp")]
    [InlineData("127.0.0.1::80", "127.0.0.1:0-0>80/tcp")]
    [InlineData("8091:80/udp", "*:8091-8091>80/udp")]
    [InlineData("8000-8002:80-82", "*:8000-8000>80/tcp *:8001-8001>81/tcp *:8002-8002>82/tcp")]
    [InlineData("8000-8010:80", "*:8000-8010>80/tcp")]
    [InlineData("[::1]:8080:80/TCP", "::1:8080-8080>80/tcp")]
    public void SpecsReadAsDockersCli(string spec, string expected)
    {
        // -p's forms (docker run --help, nat.ParsePortSpec): every one a user can type must mean what docker means.
        Assert.Equal(expected, Show(spec));
    }

    [Theory]
    [InlineData("abc", "invalid containerPort: abc")]
    [InlineData("0", "invalid containerPort: 0")]
    [InlineData("70000:80", "invalid hostPort: 70000")]
    [InlineData("80/sctpx", "invalid proto: sctpx")]
    [InlineData("1.2.3:80:80", "invalid IP address: 1.2.3")]
    [InlineData("8000-8001:80-82", "invalid ranges specified for container and host Ports: 80-82 and 8000-8001")]
    [InlineData("a:b:c:d", "invalid port specification: \"a:b:c:d\"")]
    public void BadSpecsAreRejectedNamingThePart(string spec, string message)
    {
        // A bad -p is a usage error before anything is made (issue 11, bad input).
        var e = Assert.Throws<BerthException>(() => PortSpec.Parse(spec));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ExposeRangesBecomeOneKeyEach()
    {
        Assert.Equal(["90/tcp"], PortSpec.ExposedKeys("90"));
        Assert.Equal(["53/udp", "54/udp"], PortSpec.ExposedKeys("53-54/udp"));
    }
}
