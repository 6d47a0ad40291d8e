using System.Net;
using System.Text;
using System.Text.Json;
using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>A container created on several networks at once: the Engine API's NetworkingConfig with more than one
/// EndpointsConfig entry (API 1.44+), the docker CLI's and berth's repeated <c>--network</c>. Each network gives the
/// container an interface (eth0 for the first, eth1 …) and its peers on it are reachable by name. The daemon runs in
/// a network namespace of the test's own (<see cref="NetworkSandbox"/>).</summary>
[Collection("api")]
public sealed class MultiNetworkTests(BusyboxFixture image)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Two user networks, each with a peer that answers every TCP connection on port 80 with its network's
    /// name.</summary>
    private static void TwoNetworksWithPeers(ApiStore s)
    {
        s.DockerOk("network", "create", "--subnet", "10.81.0.0/24", "neta");
        s.DockerOk("network", "create", "--subnet", "10.82.0.0/24", "netb");
        foreach (var (peer, network) in new[] { ("peera", "neta"), ("peerb", "netb") })
            s.DockerOk("run", "-d", "--name", peer, "--network", network, "busybox:latest",
                "sh", "-c", $"while true; do echo {network} | nc -l -p 80; done");
    }

    /// <summary>What <paramref name="peer"/> (a name the network's resolver answers) says to a connection from
    /// <paramref name="container"/>.</summary>
    private static string Ask(ApiStore s, string container, string peer) =>
        s.Docker("exec", container, "sh", "-c", $"nc -w 2 {peer} 80 </dev/null").Stdout;

    [Fact]
    public void DockerRunWithTwoNetworksReachesAPeerOnEach()
    {
        using var net = new NetworkSandbox();
        using var s = new ApiStore(image, net);
        TwoNetworksWithPeers(s);
        // docker CLI 28 sends both networks in one create (API 1.47): the second with its alias.
        s.DockerOk("run", "-d", "--name", "multi", "--network", "neta", "--network", "name=netb,alias=multi-b", "busybox:latest", "sleep", "300");
        Assert.Contains("inet 10.81.0.3/24", s.DockerOk("exec", "multi", "ip", "-4", "addr", "show", "eth0"));
        Assert.Contains("inet 10.82.0.3/24", s.DockerOk("exec", "multi", "ip", "-4", "addr", "show", "eth1"));
        foreach (var (peer, network) in new[] { ("peera", "neta"), ("peerb", "netb") })
            Wait.For(() => Ask(s, "multi", peer) == network + "\n", $"{peer} to answer the container on {network}");
        // The alias answers on netb: its peer there resolves it.
        Assert.Contains("10.82.0.3", s.DockerOk("exec", "peerb", "nslookup", "multi-b"));

        Assert.Equal("neta=10.81.0.3 netb=10.82.0.3 \n",
            s.DockerOk("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}", "multi"));
        Assert.Contains("multi-b", s.DockerOk("inspect", "-f", "{{.NetworkSettings.Networks.netb.Aliases}}", "multi"));
        // docker ps joins the names in Go map order: the set is what is fixed.
        Assert.Equal(["neta", "netb"], s.DockerOk("ps", "--filter", "name=multi", "--format", "{{.Networks}}").Trim().Split(',').Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("neta,netb\n", net.Berth(s.Berth, "ps", "--filter", "name=multi", "--format", "{{.Networks}}").AssertExit(0).Stdout);

        // Stopped and started again: one interface per network still, and a stopped one lists both.
        s.DockerOk("stop", "-t", "1", "multi");
        Assert.Equal("neta netb \n", s.DockerOk("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "multi"));
        s.DockerOk("start", "multi");
        var links = s.DockerOk("exec", "multi", "ip", "-o", "link", "show");
        Assert.Equal(["eth0", "eth1", "lo"], links.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':')[1].Trim().Split('@')[0]).Order(StringComparer.Ordinal).ToArray());
        Wait.For(() => Ask(s, "multi", "peerb") == "netb\n", "peerb after a restart");
    }

    [Fact]
    public void BerthRunWithTwoNetworksAndPerNetworkOptions()
    {
        using var net = new NetworkSandbox();
        using var s = new ApiStore(image, net);
        TwoNetworksWithPeers(s);
        // berth's own CLI reads --network as docker's does: per-network ip and mac-address on the second.
        net.Berth(s.Berth, "run", "-d", "--name", "cli", "--network", "neta", "--network-alias", "cli-a",
            "--network", "name=netb,ip=10.82.0.50,mac-address=02:42:0a:52:00:99", "busybox:latest", "sleep", "300").AssertExit(0);
        var eth1 = s.DockerOk("exec", "cli", "ip", "addr", "show", "eth1");
        Assert.Contains("inet 10.82.0.50/24", eth1);
        Assert.Contains("link/ether 02:42:0a:52:00:99", eth1);
        Assert.Contains("inet 10.81.0.", s.DockerOk("exec", "cli", "ip", "-4", "addr", "show", "eth0"));
        Wait.For(() => Ask(s, "cli", "peerb") == "netb\n", "peerb to answer on netb");
        Assert.Contains("10.81.0.", s.DockerOk("exec", "peera", "nslookup", "cli-a"));
        Assert.Equal("10.82.0.50\n", s.DockerOk("inspect", "-f", "{{.NetworkSettings.Networks.netb.IPAMConfig.IPv4Address}}", "cli"));

        // docker/cli's usage errors (125), before anything is made.
        RunResult Refused(params string[] args) => net.Berth(s.Berth, ["create", .. args, "busybox:latest", "true"]);
        Refused("--network", "neta", "--network", "neta").AssertExit(125, "network \"neta\" is specified multiple times");
        Refused("--network", "neta", "--network", "bridge").AssertExit(125, "conflicting options: cannot attach both user-defined and non-user-defined network-modes");
        Refused("--network", "name=neta,alias=x", "--network-alias", "y").AssertExit(125, "conflicting options: cannot specify both --network-alias and per-network alias");
        Refused("--network", "name=neta,ip=10.81.0.9", "--ip", "10.81.0.8").AssertExit(125, "conflicting options: cannot specify both --ip and per-network IPv4 address");
        Refused("--network", "name=neta,colour=red").AssertExit(125, "invalid field key colour");
        Refused("--network", "alias=x,ip=10.81.0.9").AssertExit(125, "network name/id is not specified");
        Refused("--network", "neta", "--network", "name=netb,ip=nonsense").AssertExit(125, "ParseAddr(\"nonsense\"): unable to parse IP");
        // The daemon's: a network that is not there, an address outside a network's subnet: nothing is left.
        Refused("--network", "neta", "--network", "nope").AssertExit(125, "network nope not found");
        Assert.Equal("cli\npeera\npeerb\n", s.DockerOk("ps", "-a", "--format", "{{.Names}}").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Order(StringComparer.Ordinal).Aggregate("", (a, n) => a + n + "\n"));
    }

    [Fact]
    public async Task CreateWithSeveralEndpointsPerApiVersion()
    {
        using var net = new NetworkSandbox();
        using var s = new ApiStore(image, net);
        s.DockerOk("network", "create", "--subnet", "10.83.0.0/24", "one");
        s.DockerOk("network", "create", "--subnet", "10.84.0.0/24", "two");
        using var http = s.Daemon.Http();
        const string body = """
            {"Image": "busybox:latest", "Cmd": ["sleep", "300"], "HostConfig": {"NetworkMode": "one"},
             "NetworkingConfig": {"EndpointsConfig": {
               "one": {"Aliases": ["first"]},
               "two": {"Aliases": ["second"], "IPAMConfig": {"IPv4Address": "10.84.0.40"}, "MacAddress": "02:42:0a:54:00:40"}}}}
            """;
        async Task<(HttpStatusCode, string)> Create(string version, string json, string name)
        {
            using var r = await http.PostAsync($"/{version}/containers/create?name={name}", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
            return (r.StatusCode, await r.Content.ReadAsStringAsync(Ct));
        }

        // Before 1.44 dockerd refuses several endpoints (400), naming them.
        var (old, oldBody) = await Create("v1.43", body, "old");
        Assert.Equal(HttpStatusCode.BadRequest, old);
        Assert.Equal("Container cannot be created with multiple network endpoints: one, two",
            JsonDocument.Parse(oldBody).RootElement.GetProperty("message").GetString());

        var (created, createdBody) = await Create("v1.44", body, "both");
        Assert.True(created == HttpStatusCode.Created, createdBody);
        s.DockerOk("start", "both");
        var inspect = JsonDocument.Parse(s.DockerOk("inspect", "both")).RootElement[0].GetProperty("NetworkSettings").GetProperty("Networks");
        Assert.Equal(["one", "two"], inspect.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("10.84.0.40", inspect.GetProperty("two").GetProperty("IPAddress").GetString());
        Assert.Equal("02:42:0a:54:00:40", inspect.GetProperty("two").GetProperty("MacAddress").GetString());
        Assert.Contains("second", inspect.GetProperty("two").GetProperty("Aliases").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("first", inspect.GetProperty("one").GetProperty("Aliases").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("inet 10.84.0.40/24", s.DockerOk("exec", "both", "ip", "-4", "addr", "show", "eth1"));
        Assert.Contains("inet 10.83.0.", s.DockerOk("exec", "both", "ip", "-4", "addr", "show", "eth0"));

        // A bad second endpoint is refused with dockerd's words, and no container is left behind.
        (string Json, HttpStatusCode Status, string Message)[] bad =
        [
            ("""{"Image": "busybox:latest", "HostConfig": {"NetworkMode": "one"}, "NetworkingConfig": {"EndpointsConfig": {"one": {}, "missing": {}}}}""",
                HttpStatusCode.NotFound, "network missing not found"),
            ("""{"Image": "busybox:latest", "HostConfig": {"NetworkMode": "one"}, "NetworkingConfig": {"EndpointsConfig": {"one": {}, "none": {}}}}""",
                HttpStatusCode.BadRequest, "container cannot be connected to multiple networks with one of the networks in private (none) mode"),
            ("""{"Image": "busybox:latest", "HostConfig": {"NetworkMode": "one"}, "NetworkingConfig": {"EndpointsConfig": {"one": {}, "bridge": {"Aliases": ["x"]}}}}""",
                HttpStatusCode.BadRequest, "network-scoped aliases are only supported for user-defined networks"),
            ("""{"Image": "busybox:latest", "HostConfig": {"NetworkMode": "one"}, "NetworkingConfig": {"EndpointsConfig": {"one": {}, "two": {"IPAMConfig": {"IPv4Address": "bogus"}}}}}""",
                HttpStatusCode.BadRequest, "bogus"),
        ];
        foreach (var (json, status, message) in bad)
        {
            var (code, text) = await Create("v1.47", json, "bad");
            Assert.True(code == status, $"{json}: {code} {text}");
            Assert.Contains(message, JsonDocument.Parse(text).RootElement.GetProperty("message").GetString());
        }
        Assert.Equal("both\n", s.DockerOk("ps", "-a", "--format", "{{.Names}}"));
    }
}
