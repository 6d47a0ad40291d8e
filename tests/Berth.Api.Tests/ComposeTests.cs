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
        // Compat: berth has no bridge networks yet, so both services run without a network of their own (issue 12).
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
        RunResult Compose(params string[] args) =>
            Run.Tool("docker-compose", ["-f", Path.Combine(dir, "docker-compose.yml"), "-p", "proj", .. args], timeout: TimeSpan.FromMinutes(2), env: s.Daemon.ClientEnvironment);
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
}
