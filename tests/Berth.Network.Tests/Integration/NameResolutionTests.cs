using System.Net;
using Berth.Testing;

namespace Berth.Network.Tests.Integration;

/// <summary>Names on user networks (issue 11, "Names"): every container of a network resolves the others by name,
/// alias and short ID from its first instruction, containers of other networks are not resolvable, everything else
/// goes to the host's resolvers (here a DNS server of the test's own in the outside namespace); connect/disconnect;
/// the resolver's lifetime; hostile packets.</summary>
[Collection("network")]
public sealed class NameResolutionTests(BusyboxImage image)
{
    private static string Id12(BridgeSandbox s, string name) => s.Ok("inspect", "-f", "{{.Id}}", name).Trim()[..12];

    /// <summary>The address busybox nslookup printed for the name (the line after "Name:"), or null.</summary>
    private static string? Resolved(RunResult r)
    {
        var lines = r.Stdout.Split('\n');
        var at = Array.FindIndex(lines, l => l.StartsWith("Name:", StringComparison.Ordinal));
        return at >= 0 && at + 1 < lines.Length && lines[at + 1].StartsWith("Address", StringComparison.Ordinal) ? lines[at + 1].Split(' ', 2)[^1].Trim() : null;
    }

    [Fact]
    public void NamesAliasesAndShortIdsResolveFromTheFirstInstruction()
    {
        // The first thing a container runs already resolves its network's containers (no delay after start), and
        // the outside world's names come from the host's resolvers.
        using var s = new BridgeSandbox(image);
        using var upstream = new OutsideDnsServer($"/run/netns/{s.Net.Outside}", IPAddress.Parse(NetworkSandbox.OutsideAddress),
            new Dictionary<string, IPAddress> { ["www.example.test"] = IPAddress.Parse("10.199.0.99") });
        s.Ok("network", "create", "--subnet", "10.70.0.0/24", "n1");
        s.Ok("network", "create", "--subnet", "10.71.0.0/24", "n2");
        s.Ok("run", "-d", "--name", "a1", "--network", "n1", "--network-alias", "web", "--hostname", "hosta", "busybox", "sleep", "300");
        s.Ok("run", "-d", "--name", "c1", "--network", "n2", "busybox", "sleep", "300");
        s.Ok("run", "-d", "--name", "b1", "busybox", "sleep", "300");
        var a1 = Id12(s, "a1");
        foreach (var name in new[] { "a1", "web", a1, "hosta", "a1.n1", "A1" })
            Assert.Equal("10.70.0.2", Resolved(s.Run("run", "--rm", "--network", "n1", "busybox", "nslookup", name)));
        Assert.Contains(" 0% packet loss", s.Ok("run", "--rm", "--network", "n1", "busybox", "ping", "-c1", "-W2", "web"));
        // Reverse: docker's NAME.NETWORK.
        Assert.Contains("name = a1.n1", s.Ok("run", "--rm", "--network", "n1", "busybox", "nslookup", "10.70.0.2"));
        // Other networks' and the default bridge's containers are not resolvable (forwarded, NXDOMAIN upstream).
        s.Run("run", "--rm", "--network", "n1", "busybox", "nslookup", "c1").AssertExit(1);
        s.Run("run", "--rm", "--network", "n1", "busybox", "nslookup", "b1").AssertExit(1);
        Assert.Contains("c1", upstream.Asked);
        // The rest is forwarded to the host's resolver.
        Assert.Equal("10.199.0.99", Resolved(s.Run("run", "--rm", "--network", "n1", "busybox", "nslookup", "www.example.test")));
        // On the default bridge: no name resolution, the host's server in resolv.conf, as docker.
        Assert.Equal($"nameserver {NetworkSandbox.OutsideAddress}\n", s.Ok("run", "--rm", "busybox", "cat", "/etc/resolv.conf"));
        s.Run("run", "--rm", "busybox", "nslookup", "a1").AssertExit(1);
        // docker's resolv.conf on a user network, with the network's resolver (the gateway) for 127.0.0.11.
        Assert.Equal("nameserver 10.70.0.1\noptions ndots:0\n", s.Ok("run", "--rm", "--network", "n1", "busybox", "cat", "/etc/resolv.conf"));
        Assert.Equal("search s.test\nnameserver 10.70.0.1\noptions ndots:3\n",
            s.Ok("run", "--rm", "--network", "n1", "--dns-search", "s.test", "--dns-option", "ndots:3", "busybox", "cat", "/etc/resolv.conf"));
    }

    [Fact]
    public void ContainersStartedLaterAreSeenAndStoppedOnesVanish()
    {
        // The records are read per query: a container started after the asking one resolves at once, a stopped
        // one's name is gone at once (reference §3.2).
        using var s = new BridgeSandbox(image);
        using var upstream = new OutsideDnsServer($"/run/netns/{s.Net.Outside}", IPAddress.Parse(NetworkSandbox.OutsideAddress), new Dictionary<string, IPAddress>());
        s.Ok("network", "create", "--subnet", "10.72.0.0/24", "n1");
        s.Ok("run", "-d", "--name", "first", "--network", "n1", "busybox", "sleep", "300");
        s.Run("exec", "first", "nslookup", "later").AssertExit(1);
        s.Ok("run", "-d", "--name", "later", "--network", "n1", "busybox", "sleep", "300");
        Assert.Equal("10.72.0.3", Resolved(s.Run("exec", "first", "nslookup", "later")));
        s.Ok("stop", "-t", "0", "later");
        s.Run("exec", "first", "nslookup", "later").AssertExit(1);
        // A query over TCP (framed, RFC 7766) is answered too: "first" asks for "first".
        var tcp = s.Ok("exec", "first", "sh", "-c",
            @"printf '\000\027\022\064\001\000\000\001\000\000\000\000\000\000\005first\000\000\001\000\001' | nc -w 3 10.72.0.1 53 | od -An -tu1 | tr -s ' \n' ' '");
        Assert.EndsWith(" 10 72 0 2 ", tcp);
    }

    [Fact]
    public void ConnectAndDisconnectChangeReachabilityAndNames()
    {
        // network connect gives a running container an interface on the network and its names there; disconnect
        // takes both away; docker's errors for the wrong cases.
        using var s = new BridgeSandbox(image);
        using var upstream = new OutsideDnsServer($"/run/netns/{s.Net.Outside}", IPAddress.Parse(NetworkSandbox.OutsideAddress), new Dictionary<string, IPAddress>());
        s.Ok("network", "create", "--subnet", "10.73.0.0/24", "n1");
        s.Ok("network", "create", "--subnet", "10.74.0.0/24", "n2");
        s.Ok("run", "-d", "--name", "a", "--network", "n1", "busybox", "sleep", "300");
        s.Ok("run", "-d", "--name", "b", "--network", "n2", "busybox", "sleep", "300");
        Assert.Contains("100% packet loss", s.Run("exec", "a", "ping", "-c1", "-W1", "10.74.0.2").Stdout);
        Assert.Equal("", s.Ok("network", "connect", "--alias", "mm", "n2", "a"));
        Assert.Contains(" 0% packet loss", s.Ok("exec", "a", "ping", "-c1", "-W2", "b"));
        Assert.Equal("10.74.0.3", Resolved(s.Run("exec", "b", "nslookup", "mm")));
        Assert.Contains("inet 10.74.0.3/24", s.Ok("exec", "a", "ip", "addr", "show", "eth1"));
        Assert.Equal("[\"mm\",\"" + Id12(s, "a") + "\"] [\"a\",\"mm\",\"" + Id12(s, "a") + "\"]\n",
            s.Ok("inspect", "-f", "{{json .NetworkSettings.Networks.n2.Aliases}} {{json .NetworkSettings.Networks.n2.DNSNames}}", "a"));
        s.Run("network", "connect", "n2", "a").AssertExit(1, "Error response from daemon: endpoint with name a already exists in network n2");
        s.Run("network", "connect", "nosuch", "a").AssertExit(1, "network nosuch not found");
        s.Run("network", "connect", "n2", "nosuch").AssertExit(1, "No such container: nosuch");
        s.Run("network", "connect", "--alias", "x", "bridge", "a").AssertExit(1, "network-scoped alias is supported only for containers in user defined networks");
        s.Run("run", "--rm", "--network-alias", "x", "busybox", "true").AssertExit(125, "network-scoped aliases are only supported for user-defined networks");

        Assert.Equal("", s.Ok("network", "disconnect", "n2", "a"));
        Assert.Contains("100% packet loss", s.Run("exec", "a", "ping", "-c1", "-W1", "10.74.0.2").Stdout);
        s.Run("exec", "b", "nslookup", "mm").AssertExit(1);
        s.Run("exec", "a", "ip", "addr", "show", "eth1").AssertExit(1);
        s.Run("network", "disconnect", "n2", "a").AssertExit(1, "is not connected to network n2");

        // A stopped container: the membership is kept and made at its next start.
        s.Ok("stop", "-t", "0", "b");
        s.Ok("network", "connect", "n1", "b");
        s.Ok("start", "b");
        Assert.Contains(" 0% packet loss", s.Ok("exec", "b", "ping", "-c1", "-W2", "a"));
        Assert.Contains("inet 10.73.0.", s.Ok("exec", "b", "ip", "addr", "show", "eth1"));

        // --ip: the running container gets that address on the new interface, a stopped one at each start.
        s.Ok("network", "create", "--subnet", "10.76.0.0/24", "n3");
        s.Run("network", "connect", "--ip", "10.76.0.300", "n3", "a").AssertExit(1, "invalid IPv4 address: 10.76.0.300");
        s.Run("network", "connect", "--ip", "10.76.0.50", "bridge", "a").AssertExit(1, "user specified IP address is supported on user defined networks only");
        Assert.Equal("", s.Ok("network", "connect", "--ip", "10.76.0.50", "n3", "a"));
        Assert.Contains("inet 10.76.0.50/24", s.Ok("exec", "a", "ip", "addr", "show", "eth1"));
        Assert.Equal("10.76.0.50\n", s.Ok("inspect", "-f", "{{.NetworkSettings.Networks.n3.IPAddress}}", "a"));
        s.Ok("stop", "-t", "0", "b");
        s.Ok("network", "connect", "--ip", "10.76.0.60", "n3", "b");
        s.Ok("start", "b");
        Assert.Contains("inet 10.76.0.60/24", s.Ok("exec", "b", "ip", "addr", "show", "eth2"));
        Assert.Contains(" 0% packet loss", s.Ok("exec", "b", "ping", "-c1", "-W2", "10.76.0.50"));
    }

    [Fact]
    public void TheResolverGoesWithTheLastContainerAndSystemCheckRepairsAStaleOne()
    {
        // Teardown is complete (issue 11): no resolver outlives its network's last container; a stale one (stopped
        // here, so it cannot exit) is reported by system check and removed by --repair; a killed one while
        // containers run is reported and --repair starts it again.
        using var s = new BridgeSandbox(image);
        using var upstream = new OutsideDnsServer($"/run/netns/{s.Net.Outside}", IPAddress.Parse(NetworkSandbox.OutsideAddress), new Dictionary<string, IPAddress>());
        s.Ok("network", "create", "--subnet", "10.75.0.0/24", "n1");
        s.Ok("run", "-d", "--name", "a", "--network", "n1", "busybox", "sleep", "300");
        Assert.Single(s.Resolvers());
        s.Ok("run", "-d", "--name", "b", "--network", "n1", "busybox", "sleep", "300");
        Assert.Single(s.Resolvers());
        s.Ok("rm", "-f", "a", "b");
        Wait.For(() => s.Resolvers().Count == 0, "the resolver to exit", TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("DEBRIS", s.Ok("system", "check"));

        s.Ok("run", "-d", "--name", "c", "--network", "n1", "busybox", "sleep", "300");
        var pid = Assert.Single(s.Resolvers());
        Run.Tool("kill", ["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Wait.For(() => s.Resolvers().Count == 0, "the killed resolver to be gone", TimeSpan.FromSeconds(10));
        Assert.Contains("DEBRIS resolver of network n1 is gone while containers run on it", s.Ok("system", "check"));
        s.Ok("system", "check", "--repair");
        Assert.Single(s.Resolvers());
        Assert.Contains(" 0% packet loss", s.Ok("exec", "c", "ping", "-c1", "-W2", "c"));

        var stopped = Assert.Single(s.Resolvers());
        Run.Tool("kill", ["-STOP", stopped.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        s.Ok("rm", "-f", "c");
        Assert.Contains("), which has no running container", s.Ok("system", "check"));
        s.Ok("system", "check", "--repair");
        Wait.For(() => s.Resolvers().Count == 0, "the stale resolver to be killed", TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("DEBRIS", s.Ok("system", "check"));
    }

    [Fact]
    public void GarbagePacketsDoNotStopTheResolver()
    {
        // Anything a container sends to port 53 (random bytes, truncated and looping names, responses, huge TCP
        // lengths) leaves the resolver answering.
        using var s = new BridgeSandbox(image);
        using var upstream = new OutsideDnsServer($"/run/netns/{s.Net.Outside}", IPAddress.Parse(NetworkSandbox.OutsideAddress), new Dictionary<string, IPAddress>());
        s.Ok("network", "create", "--subnet", "10.76.0.0/24", "n1");
        s.Ok("run", "-d", "--name", "a", "--network", "n1", "busybox", "sleep", "300");
        var pid = Assert.Single(s.Resolvers());
        s.Ok("exec", "a", "sh", "-c", """
            for i in 1 2 3 4 5 6 7 8 9 10; do head -c $((i * 97)) /dev/urandom | nc -u -w1 10.76.0.1 53; done
            printf '\022\064\001\000\000\001\000\000\000\000\000\000\300\014\000\001\000\001' | nc -u -w1 10.76.0.1 53
            printf '\022\064\001\000\000\001\000\000\000\000\000\000\077aaa' | nc -u -w1 10.76.0.1 53
            printf '\022\064\201\200\000\001\000\001\000\000\000\000\001a\000\000\001\000\001' | nc -u -w1 10.76.0.1 53
            printf '\377\377\022\064' | nc -w1 10.76.0.1 53
            head -c 3000 /dev/urandom | nc -w1 10.76.0.1 53
            true
            """);
        Assert.Equal([pid], s.Resolvers());
        Assert.Equal("10.76.0.2", Resolved(s.Run("exec", "a", "nslookup", "a")));
    }
}
