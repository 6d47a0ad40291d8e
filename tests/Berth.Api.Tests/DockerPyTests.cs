using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>docker-py, the Python SDK, against <c>berth daemon</c>: containers, the multiplexed log framing, TTY
/// logs, filters, errors, build from a tar, volumes and events (TestData/test_dockerpy.py, run with pytest).</summary>
[Collection("api")]
public sealed class DockerPyTests(BusyboxFixture image)
{
    [Fact]
    public void DockerPySuitePasses()
    {
        // The SDK reads status codes, headers and framing exactly: what passes the CLI can still fail here.
        const string python = "/usr/bin/python3";
        HostCapabilities.Require(File.Exists(python) && Run.Tool(python, ["-c", "import docker, pytest"]).ExitCode == 0,
            "needs docker-py and pytest for /usr/bin/python3 (apt-get install python3-docker python3-pytest)");
        using var s = new ApiStore(image);
        var script = Path.Combine(AppContext.BaseDirectory, "TestData", "test_dockerpy.py");
        var r = Run.Tool(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", script], timeout: TimeSpan.FromMinutes(5),
            env: new Dictionary<string, string> { ["BERTH_DOCKER_HOST"] = s.Daemon.Host });
        Assert.True(r.ExitCode == 0, $"{r}\n--- daemon log (tail)\n{string.Join('\n', s.Daemon.Log.Split('\n').TakeLast(40))}");
        Assert.Contains("10 passed", r.Stdout);
    }
}
