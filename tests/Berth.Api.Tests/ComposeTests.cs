using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>docker-compose 1.29 (itself an Engine API client) against <c>berth daemon</c>.</summary>
[Collection("api")]
public sealed class ComposeTests(BusyboxFixture image)
{
    [Fact]
    public void ComposeUpPsLogsDownOfTwoServices()
    {
        // Compose finds its containers by labels (project, service, oneoff) and numbers them from what it finds: a
        // label filter that matched too much listed each container twice and named the second service's _2.
        HostCapabilities.RequireTool("docker-compose");
        using var s = new ApiStore(image);
        var dir = s.Dir.Sub("proj");
        // The daemon runs in the machine's own namespace here, so the services have no network (the project's default
        // network would make a bridge there); ComposeProjectWithABuildANetworkAVolumeAndAHealthyDependency has them.
        File.WriteAllText(Path.Combine(dir, "docker-compose.yml"), """
            version: "3"
            services:
              web:
                image: busybox:latest
                command: sh -c "echo web up; sleep 300"
                network_mode: none
                labels: [role=front]
              worker:
                image: busybox:latest
                command: sh -c "echo worker up; sleep 300"
                network_mode: none
                depends_on: [web]
            """);
        RunResult Compose(params string[] args) => s.Compose(dir, TimeSpan.FromMinutes(2), args);
        Compose("up", "-d").AssertExit(0);
        Assert.Equal("proj_web_1\nproj_worker_1\n", s.Berth.Ok("ps", "--format", "{{.Names}}").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().Aggregate("", (a, n) => a + n + "\n"));
        var ps = Compose("ps", "--services").AssertExit(0).Stdout;
        Assert.Equal("web\nworker\n", string.Concat(ps.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().Select(l => l + "\n")));
        var psAll = Compose("ps").AssertExit(0).Stdout;
        Assert.Equal(1, psAll.Split('\n').Count(l => l.StartsWith("proj_web_1 ", StringComparison.Ordinal)));
        Wait.For(() => Compose("logs", "--no-color").Stdout.Contains("worker up"), "the worker's output in compose logs");
        Assert.Contains("web up", Compose("logs", "--no-color", "web").Stdout);
        Assert.Equal("front\n", s.DockerOk("inspect", "-f", "{{index .Config.Labels \"role\"}}", "proj_web_1"));
        Compose("down").AssertExit(0);
        Assert.Equal("", s.Berth.Ok("ps", "-aq"));
    }

    [Fact]
    public void ComposeProjectWithABuildANetworkAVolumeAndAHealthyDependency()
    {
        // The project most compose users have: a service built from the project's Dockerfile, another from an image
        // that waits for the first to be healthy, finds it by its service name on the project's network, shares a
        // named volume with it and publishes a port; exec, logs and ps read them back, and down -v leaves nothing.
        // The daemon runs in a network namespace of the test's own: the project's network is a bridge.
        HostCapabilities.RequireTool("docker-compose");
        using var net = new NetworkSandbox();
        using var s = new ApiStore(image, net);
        var dir = s.Dir.Sub("proj");
        File.WriteAllText(Path.Combine(dir, "Dockerfile"), """
            FROM busybox:latest
            ARG GREETING=unset
            RUN echo "greeting=$GREETING" > /greeting
            COPY serve.sh /serve.sh
            CMD ["sh", "/serve.sh"]
            """);
        File.WriteAllText(Path.Combine(dir, "serve.sh"), """
            mkdir -p /www
            cp /greeting /www/index.html
            echo "written by db" > /data/msg
            echo db up
            exec httpd -f -p 80 -h /www
            """);
        // Format 2.4: depends_on with a condition (format 3 dropped it).
        File.WriteAllText(Path.Combine(dir, "docker-compose.yml"), """
            version: "2.4"
            services:
              db:
                build:
                  context: .
                  args:
                    GREETING: built
                volumes: ["data:/data"]
                networks: [back]
                healthcheck:
                  test: ["CMD-SHELL", "wget -qO /dev/null http://127.0.0.1/"]
                  interval: 1s
                  timeout: 5s
                  retries: 30
              web:
                image: busybox:latest
                command: sh -c "mkdir -p /www && wget -qO /www/index.html http://db/ && cat /data/msg >> /www/index.html && echo web up && exec httpd -f -p 80 -h /www"
                ports: ["8080:80"]
                volumes: ["data:/data"]
                networks: [back]
                depends_on:
                  db:
                    condition: service_healthy
            volumes:
              data:
            networks:
              back:
            """);
        RunResult Compose(params string[] args) => s.Compose(dir, TimeSpan.FromMinutes(3), args);
        var since = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1;

        Compose("up", "-d").AssertExit(0);
        Assert.Contains("proj_db\n", s.Berth.Ok("images", "--format", "{{.Repository}}"));
        Assert.Contains("proj_back\n", s.Berth.Ok("network", "ls", "--format", "{{.Name}}"));
        Assert.Equal("proj_data\n", s.Berth.Ok("volume", "ls", "-q"));
        // Start order: web starts only once db's health check passed (up -d returns after starting web).
        var until = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1;
        var events = s.DockerOk("events", "--since", since.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--until", until.ToString(System.Globalization.CultureInfo.InvariantCulture), "--filter", "type=container",
            "--filter", "event=start", "--filter", "event=health_status", "--format", "{{.Action}} {{.Actor.Attributes.name}}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(e => !e.StartsWith("health_status: starting", StringComparison.Ordinal)).ToList();
        Assert.True(events.Count >= 3 && events[0] == "start proj_db_1" && events[1] == "health_status: healthy proj_db_1" && events[2] == "start proj_web_1",
            $"expected db's start, db healthy, then web's start; events:\n{string.Join('\n', events)}");

        // web fetched db's page by the service name (what db's build argument made), added what db wrote in the
        // shared volume, and serves both on the published port, here on the namespace's loopback.
        const string page = "greeting=built\nwritten by db\n";
        Wait.For(() => net.InsideShell("wget -qO- -T 2 http://127.0.0.1:8080/").Stdout == page, "web's page on 127.0.0.1:8080 in the sandbox");

        var exec = Compose("exec", "-T", "db", "sh", "-c", "cat /greeting; echo to-stderr >&2; exit 3").AssertExit(3);
        Assert.Equal("greeting=built\n", exec.Stdout);
        Assert.Contains("to-stderr", exec.Stderr);
        var logs = Compose("logs", "--no-color").AssertExit(0).Stdout;
        Assert.Contains("db_1   | db up", logs);
        Assert.Contains("web_1  | web up", logs);
        var ps = Compose("ps").AssertExit(0).Stdout.Split('\n');
        Assert.Contains("Up (healthy)", Assert.Single(ps, l => l.StartsWith("proj_db_1 ", StringComparison.Ordinal)));
        Assert.Contains("0.0.0.0:8080->80/tcp", Assert.Single(ps, l => l.StartsWith("proj_web_1 ", StringComparison.Ordinal)));

        // A restarted web reads the volume again and gets its port back.
        Compose("restart", "web").AssertExit(0);
        Wait.For(() => net.InsideShell("wget -qO- -T 2 http://127.0.0.1:8080/").Stdout == page, "web's page after its restart");

        Compose("down", "-v").AssertExit(0);
        Assert.Equal("", s.Berth.Ok("ps", "-aq"));
        Assert.DoesNotContain("proj_back", s.Berth.Ok("network", "ls", "--format", "{{.Name}}"));
        Assert.Equal("", s.Berth.Ok("volume", "ls", "-q"));
        Assert.NotEqual(0, net.InsideShell("wget -qO- -T 2 http://127.0.0.1:8080/").ExitCode);
    }
}
