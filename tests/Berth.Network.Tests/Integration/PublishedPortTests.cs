using Berth.Testing;

namespace Berth.Network.Tests.Integration;

/// <summary>Published ports (issue 11, second part): kernel DNAT from outside, from the host (its address and
/// 127.0.0.1), from other containers through the host's address (hairpin), docker's reporting, and the port clash
/// errors leaving nothing behind.</summary>
[Collection("network")]
public sealed class PublishedPortTests(BusyboxImage image)
{
    private const string WebServer = "mkdir -p /w && echo hello > /w/index.html && echo ready && exec httpd -f -p 80 -h /w";

    private static string Get(NetworkSandbox net, string ns, string address, int port) =>
        Run.Tool("nsenter", [$"--net=/run/netns/{ns}", "sh", "-c", $"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | socat -T3 - TCP:{address}:{port},connect-timeout=3"],
            timeout: TimeSpan.FromSeconds(20)).Stdout;

    [Fact]
    public void ATcpPortAnswersFromOutsideTheHostLocalhostAndOtherContainers()
    {
        // A published port answers on the host's addresses and 127.0.0.1, and from containers through the host's
        // address (hairpin), itself included (issue 11).
        using var s = new BridgeSandbox(image);
        s.Ok("run", "-d", "--name", "web", "-p", "8080:80", "busybox", "sh", "-c", WebServer);
        s.Berth.WaitForLogInside(s, "web", "ready");
        Wait.For(() => Get(s.Net, s.Net.Outside, NetworkSandbox.InsideAddress, 8080).EndsWith("hello\n", StringComparison.Ordinal), "the outside to reach web through 8080");
        Assert.EndsWith("hello\n", Get(s.Net, s.Net.Inside, NetworkSandbox.InsideAddress, 8080));
        Assert.EndsWith("hello\n", Get(s.Net, s.Net.Inside, "127.0.0.1", 8080));
        Assert.EndsWith("hello\n", Get(s.Net, s.Net.Inside, "172.17.0.1", 8080));
        s.Ok("run", "-d", "--name", "client", "busybox", "sleep", "300");
        Assert.Equal("hello\n", s.Ok("exec", "client", "wget", "-qO-", $"http://{NetworkSandbox.InsideAddress}:8080/"));
        Assert.Equal("hello\n", s.Ok("exec", "web", "wget", "-qO-", $"http://{NetworkSandbox.InsideAddress}:8080/"));
        // docker's reporting (reference §4.1, IPv4 only as docker without its proxy).
        Assert.Equal("80/tcp -> 0.0.0.0:8080\n", s.Ok("port", "web"));
        Assert.Equal("0.0.0.0:8080\n", s.Ok("port", "web", "80"));
        s.Run("port", "web", "81").AssertExit(1, "No public port '81' published for web");
        Assert.Equal("0.0.0.0:8080->80/tcp\n", s.Ok("ps", "--filter", "name=web", "--format", "{{.Ports}}"));
        Assert.Equal("""{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]} {"80/tcp":[{"HostIp":"","HostPort":"8080"}]}""" + "\n",
            s.Ok("inspect", "-f", "{{json .NetworkSettings.Ports}} {{json .HostConfig.PortBindings}}", "web"));
        // Stopped: the rule goes with the port.
        s.Ok("rm", "-f", "web");
        Assert.DoesNotContain("dport 8080", s.Net.InsideShell("nft list table ip berth").Stdout);
    }

    [Fact]
    public void RandomPortsAndPublishAllTakeEphemeralPorts()
    {
        // -p 80 and -P take ports from 32768 up (ip_local_port_range), one per exposed port (reference §4.2).
        using var s = new BridgeSandbox(image);
        s.Ok("run", "-d", "--name", "r", "-p", "80", "-P", "--expose", "90", "--expose", "53/udp", "busybox", "sleep", "300");
        var ports = s.Ok("port", "r").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["53/udp", "80/tcp", "90/tcp"], ports.Select(p => p[..p.IndexOf(' ')]));
        Assert.All(ports, p => Assert.InRange(int.Parse(p[(p.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture), 32768, 60999));
        Assert.Equal("true {\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}\n", s.Ok("inspect", "-f", "{{.HostConfig.PublishAllPorts}} {{json .HostConfig.PortBindings}}", "r"));
    }

    [Fact]
    public void AUdpPortCarriesDatagramsFromOutside()
    {
        // UDP is published as TCP is (reference §4.2 -p 8091:80/udp). busybox has no UDP server: the datagram's
        // arrival in the container's namespace is seen by its Udp NoPorts counter (/proc/net/snmp), which only a
        // datagram DNATed into that namespace can raise.
        using var s = new BridgeSandbox(image);
        s.Ok("run", "-d", "--name", "u", "-p", "8091:80/udp", "busybox", "sleep", "300");
        long NoPorts()
        {
            var lines = s.Ok("exec", "u", "cat", "/proc/net/snmp").Split('\n').Where(l => l.StartsWith("Udp:", StringComparison.Ordinal)).ToList();
            var names = lines[0].Split(' ');
            var values = lines[1].Split(' ');
            return long.Parse(values[Array.IndexOf(names, "NoPorts")], System.Globalization.CultureInfo.InvariantCulture);
        }
        var before = NoPorts();
        Run.Tool("nsenter", [$"--net=/run/netns/{s.Net.Outside}", "sh", "-c", $"echo datagram | socat -T1 - UDP:{NetworkSandbox.InsideAddress}:8091"], timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(before + 1, NoPorts());
        // An unpublished UDP port does not reach it.
        Run.Tool("nsenter", [$"--net=/run/netns/{s.Net.Outside}", "sh", "-c", $"echo datagram | socat -T1 - UDP:{NetworkSandbox.InsideAddress}:8092"], timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(before + 1, NoPorts());
    }

    [Fact]
    public void AHostPortInUseIsDockersErrorAndLeavesNothing()
    {
        // A clash with another program or another container: docker's message, exit 125, the container left
        // Created, and no veth, address or rule behind (reference §4.5).
        using var s = new BridgeSandbox(image);
        using var holder = new System.Diagnostics.Process
        {
            StartInfo = new("nsenter", [$"--net=/run/netns/{s.Net.Inside}", "socat", "TCP-LISTEN:8095,reuseaddr", "-"]) { RedirectStandardInput = true, RedirectStandardOutput = true },
        };
        holder.Start();
        try
        {
            Wait.For(() => s.Net.InsideShell("ss -ltn").Stdout.Contains(":8095 ", StringComparison.Ordinal), "socat to hold 8095");
            var r = s.Run("run", "-d", "--name", "pc", "-p", "8095:80", "busybox", "sleep", "300");
            r.AssertExit(125, "driver failed programming external connectivity on endpoint pc (");
            Assert.Contains("): Error starting userland proxy: listen tcp4 0.0.0.0:8095: bind: address already in use", r.Stderr);
            Assert.Equal("created\n", s.Ok("inspect", "-f", "{{.State.Status}}", "pc"));
            s.WaitForNoVeths();
            Assert.Equal("", s.Endpoints());
            Assert.DoesNotContain("8095", s.Net.InsideShell("nft list table ip berth").Stdout);
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
        s.Ok("run", "-d", "--name", "p1", "-p", "8096:80", "busybox", "sleep", "300");
        s.Run("run", "-d", "--name", "p2", "-p", "8096:80", "busybox", "sleep", "300")
            .AssertExit(125, "Bind for 0.0.0.0:8096 failed: port is already allocated");
        // p2's veth goes with its dead namespace, in the kernel's time; p1's stays.
        Wait.For(() => s.Veths().Count == 1, "p2's veth to go with its namespace, p1's to stay");
        Assert.Single(s.Veths());
    }
}
