using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>The docker CLI's <c>network</c> commands and docker-compose's user networks through <c>berth daemon</c>.
/// The daemon runs in a network namespace of the test's own (<see cref="NetworkSandbox"/>): the bridges and nftables
/// rules it makes never touch the machine's.</summary>
[Collection("api")]
public sealed class NetworkApiTests(BusyboxFixture image)
{
    [Fact]
    public void TheEventLogHasEachNetworksLifeAndEachContainersConnections()
    {
        // docker events --filter type=network as dockerd 20.10 writes it (observed on one): a network's create,
        // destroy and the prune's own event; a container's connect at its start (the default bridge's too) and
        // disconnect after its die; an explicit connect of a running container once and its disconnect twice
        // (dockerd logs both the endpoint's release and the command); a stopped container's connect not at all (it
        // is logged when the container starts) and its disconnect once. (A key an event lacks prints <no value>.)
        using var net = new NetworkSandbox();
        using var s = new ApiStore(image, net);
        var since = Seconds(DateTimeOffset.UtcNow);
        var n1 = s.DockerOk("network", "create", "n1").Trim();
        var n2 = s.DockerOk("network", "create", "n2").Trim();
        var c = s.DockerOk("create", "--name", "c", "--network", "n1", "busybox:latest", "sleep", "300").Trim();
        s.DockerOk("network", "connect", "n2", "c");
        s.DockerOk("network", "disconnect", "n2", "c");
        s.DockerOk("start", "c");
        s.DockerOk("network", "connect", "bridge", "c");
        s.DockerOk("network", "disconnect", "bridge", "c");
        s.DockerOk("kill", "c");
        Assert.Equal("137\n", s.DockerOk("wait", "c"));
        s.DockerOk("rm", "c");
        s.DockerOk("network", "rm", "n1");
        Assert.Equal("Deleted Networks:\nn2\n\n", s.DockerOk("network", "prune", "-f"));
        var bridgeId = s.DockerOk("network", "inspect", "-f", "{{.Id}}", "bridge").Trim();
        var r = s.DockerOk("run", "--rm", "busybox:latest", "true");

        var events = s.DockerOk("events", "--since", since, "--until", Seconds(DateTimeOffset.UtcNow), "--filter", "type=network",
            "--format", "{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}} {{.Actor.Attributes.container}} {{.Scope}}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var run = events[^2].Split(' ')[4];
        Assert.Equal(
        [
            $"create {n1} n1 bridge <no value> local", $"create {n2} n2 bridge <no value> local",
            $"disconnect {n2} n2 bridge {c} local",
            $"connect {n1} n1 bridge {c} local",
            $"connect {bridgeId} bridge bridge {c} local", $"disconnect {bridgeId} bridge bridge {c} local", $"disconnect {bridgeId} bridge bridge {c} local",
            $"disconnect {n1} n1 bridge {c} local",
            $"destroy {n1} n1 bridge <no value> local", $"destroy {n2} n2 bridge <no value> local", "prune  <no value> <no value> <no value> local",
            $"connect {bridgeId} bridge bridge {run} local", $"disconnect {bridgeId} bridge bridge {run} local",
        ], events);
        Assert.Matches("^[0-9a-f]{64}$", run);
        Assert.Equal("", r);
    }

    private static string Seconds(DateTimeOffset t) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{t.ToUnixTimeSeconds()}.{(t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % TimeSpan.TicksPerSecond * 100:D9}");

    [Fact]
    public void DockerNetworkCreateLsInspectRmPrune()
    {
        // docker network … is the Engine API's /networks; a container's address on a user network comes back in its
        // inspect and in the network's, and what berth cannot do yet is refused by name, not ignored.
        using var net = new NetworkSandbox();
        using var s = new ApiStore(image, net);
        var id = s.DockerOk("network", "create", "--subnet", "10.77.0.0/24", "--label", "k=v", "mynet").Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        var ls = s.DockerOk("network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}");
        Assert.Equal("bridge bridge local\nhost host local\nmynet bridge local\nnone null local\n", ls);
        Assert.Equal("mynet\n", s.DockerOk("network", "ls", "--filter", "label=k=v", "--format", "{{.Name}}"));
        Assert.Equal("mynet\n", s.DockerOk("network", "ls", "--filter", "type=custom", "--format", "{{.Name}}"));
        // As dockerd: the IPAM config is what was given (a subnet, no gateway); the gateway shows on the container.
        Assert.Equal("10.77.0.0/24  v false\n",
            s.DockerOk("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}} {{index .Labels \"k\"}} {{.Internal}}", id[..12]));
        var dup = s.Docker("network", "create", "mynet");
        Assert.Equal(1, dup.ExitCode);
        Assert.Contains("network with name mynet already exists", dup.Stderr);

        s.DockerOk("run", "-d", "--name", "c1", "--network", "mynet", "busybox:latest", "sleep", "300");
        var addr = s.DockerOk("inspect", "-f", "{{.NetworkSettings.Networks.mynet.IPAddress}} {{.NetworkSettings.Networks.mynet.Gateway}} {{.NetworkSettings.Networks.mynet.IPPrefixLen}} {{.NetworkSettings.Networks.mynet.NetworkID}}", "c1");
        Assert.Equal($"10.77.0.2 10.77.0.1 24 {id}\n", addr);
        Assert.Matches("^02:42:0a:4d:00:02\n$", s.DockerOk("inspect", "-f", "{{.NetworkSettings.Networks.mynet.MacAddress}}", "c1"));
        Assert.Equal("c1 10.77.0.2/24\n", s.DockerOk("network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}", "mynet"));
        // The address is really the container's, in the sandbox.
        Assert.Contains("inet 10.77.0.2/24", s.DockerOk("exec", "c1", "ip", "-4", "addr", "show", "eth0"));

        var busy = s.Docker("network", "rm", "mynet");
        Assert.Equal(1, busy.ExitCode);
        Assert.Contains("has active endpoints", busy.Stderr);
        // connect/disconnect: the running container gets (and loses) an interface on a second network.
        s.DockerOk("network", "create", "--subnet", "10.78.0.0/24", "other");
        s.DockerOk("network", "connect", "--alias", "c1-alias", "other", "c1");
        Assert.Contains("inet 10.78.0.2/24", s.DockerOk("exec", "c1", "ip", "-4", "addr", "show", "eth1"));
        Assert.Contains("c1-alias", s.DockerOk("inspect", "-f", "{{.NetworkSettings.Networks.other.Aliases}}", "c1"));
        var twice = s.Docker("network", "connect", "other", "c1");
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("already exists in network other", twice.Stderr);
        s.DockerOk("network", "disconnect", "other", "c1");
        Assert.DoesNotContain("10.78.0.", s.DockerOk("exec", "c1", "ip", "-4", "addr"));
        Assert.Equal("other\n", s.DockerOk("network", "rm", "other"));
        var predefined = s.Docker("network", "rm", "host");
        Assert.Equal(1, predefined.ExitCode);
        Assert.Contains("host is a pre-defined network and cannot be removed", predefined.Stderr);

        s.DockerOk("rm", "-f", "c1");
        Assert.Equal("mynet\n", s.DockerOk("network", "rm", "mynet"));
        var gone = s.Docker("network", "inspect", "mynet");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("network mynet not found", gone.Stderr);

        s.DockerOk("network", "create", "spare");
        s.DockerOk("network", "create", "kept");
        s.DockerOk("create", "--name", "holder", "--network", "kept", "busybox:latest", "true");
        Assert.Equal("Deleted Networks:\nspare\n\n", s.DockerOk("network", "prune", "-f"));
        Assert.Equal("bridge\nhost\nkept\nnone\n", s.DockerOk("network", "ls", "--format", "{{.Name}}"));
    }

    [Fact]
    public void ComposeServiceOnAUserNetworkWithAPublishedPort()
    {
        // Compose makes the project's network, creates each container on it (NetworkingConfig with the service's
        // aliases) and publishes its port; down removes both.
        HostCapabilities.RequireTool("docker-compose");
        using var net = new NetworkSandbox();
        using var s = new ApiStore(image, net);
        var dir = s.Dir.Sub("proj");
        File.WriteAllText(Path.Combine(dir, "docker-compose.yml"), """
            version: "3"
            services:
              web:
                image: busybox:latest
                command: sh -c "mkdir -p /www && echo hello from web > /www/index.html && exec httpd -f -p 80 -h /www"
                ports: ["8080:80"]
                networks: [front]
            networks:
              front:
                ipam:
                  config:
                    - subnet: 10.78.0.0/24
            """);
        RunResult Compose(params string[] args) => s.Compose(dir, TimeSpan.FromMinutes(2), args);
        Compose("up", "-d").AssertExit(0);
        Assert.Contains("proj_front\n", s.DockerOk("network", "ls", "--format", "{{.Name}}"));
        Assert.Equal("10.78.0.2 {\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]}\n",
            s.DockerOk("inspect", "-f", "{{.NetworkSettings.Networks.proj_front.IPAddress}} {{json .NetworkSettings.Ports}}", "proj_web_1"));
        Assert.Contains("0.0.0.0:8080->80/tcp", Compose("ps").AssertExit(0).Stdout);
        Wait.For(() => net.InsideShell($"wget -qO- -T 2 http://{NetworkSandbox.InsideAddress}:8080/").Stdout == "hello from web\n",
            "the published port to answer in the sandbox");
        Compose("down").AssertExit(0);
        Assert.Equal("", s.Berth.Ok("ps", "-aq"));
        Assert.DoesNotContain("proj_front", s.DockerOk("network", "ls", "--format", "{{.Name}}"));
    }
}
