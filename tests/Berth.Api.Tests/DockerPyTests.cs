using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>docker-py, the Python SDK, against <c>berth daemon</c> (TestData/test_dockerpy.py, run with pytest):
/// containers (lifecycle, top, stats, rename, pause, kill), logs (framing, follow, timestamps, since, tail), images
/// (tag, history, save/load, remove), builds (contexts, the stream, BuildError), exec, attach (multiplexed and raw TTY
/// streams, sockets), networks, volumes, events; and push/pull with a local registry.</summary>
[Collection("api")]
public sealed class DockerPyTests(BusyboxFixture image)
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public void DockerPySuitePasses()
    {
        // The SDK reads status codes, headers and framing exactly: what passes the CLI can still fail here. The daemon
        // runs in a network namespace of the test's own, as the suite makes networks (bridges).
        RequireDockerPy();
        using var net = new NetworkSandbox();
        using var s = new ApiStore(image, net);
        var r = Pytest(s, "not registry", new Dictionary<string, string>());
        Assert.Contains("25 passed, 1 deselected", r.Stdout);
    }

    [Fact]
    public void DockerPyPushesAndPullsWithALocalRegistry()
    {
        // images.push streams the push's progress and images.pull reads the pull's to its end, then looks the image up
        // by the name as the caller typed it (not normalized). The registry is on this namespace's loopback.
        RequireDockerPy();
        using var registry = new RegistryServer();
        using var s = new ApiStore(image);
        var r = Pytest(s, "registry", new Dictionary<string, string> { ["BERTH_REGISTRY"] = registry.Host });
        Assert.Contains("1 passed, 25 deselected", r.Stdout);
    }

    private static void RequireDockerPy() =>
        HostCapabilities.Require(File.Exists(Python) && Run.Tool(Python, ["-c", "import docker, pytest"]).ExitCode == 0,
            "needs docker-py and pytest for /usr/bin/python3 (apt-get install python3-docker python3-pytest)");

    private static RunResult Pytest(ApiStore s, string selection, Dictionary<string, string> env)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "TestData", "test_dockerpy.py");
        env["BERTH_DOCKER_HOST"] = s.Daemon.Host;
        // -v: each test's name is printed as it starts, so a suite that does not finish names the test it hung in.
        RunResult r;
        try
        {
            r = Run.Tool(Python, ["-m", "pytest", "-v", "-p", "no:cacheprovider", "-k", selection, "--basetemp", s.Dir.Combine("pytest"), script],
                timeout: TimeSpan.FromMinutes(8), env: env);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- daemon log (tail)\n{DaemonLogTail(s)}");
        }
        Assert.True(r.ExitCode == 0, $"{r}\n--- daemon log (tail)\n{DaemonLogTail(s)}");
        return r;
    }

    private static string DaemonLogTail(ApiStore s) => string.Join('\n', s.Daemon.Log.Split('\n').TakeLast(60));
}
