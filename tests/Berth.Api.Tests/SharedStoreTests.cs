using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>The daemon and the daemonless CLI on one store: both at once, and containers that outlive the
/// daemon.</summary>
[Collection("api")]
public sealed class SharedStoreTests(BusyboxFixture image)
{
    [Fact]
    public async Task CliAndDaemonCreateAndRemoveAtTheSameTimeWithoutCorruption()
    {
        // The CLI (its own process and SQLite connection) and the daemon (many threads on one connection) write the
        // same metadata at once: every create lands once, names stay unique, and system check finds nothing.
        HostCapabilities.Require(File.Exists("/usr/local/bin/docker"), "needs the docker CLI");
        using var s = new ApiStore(image);
        var viaCli = Task.Run(() =>
        {
            for (var i = 0; i < 15; i++) s.Berth.Ok("create", "--name", $"cli{i}", "busybox:latest", "true");
        }, TestContext.Current.CancellationToken);
        var viaApi = Enumerable.Range(0, 15).Select(i => Task.Run(() => s.DockerOk("create", "--name", $"api{i}", "busybox:latest", "true"), TestContext.Current.CancellationToken)).ToArray();
        await Task.WhenAll([viaCli, .. viaApi]).WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
        var names = s.Berth.Ok("ps", "-a", "--format", "{{.Names}}").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Enumerable.Range(0, 15).SelectMany(i => new[] { $"api{i}", $"cli{i}" }).Order(StringComparer.Ordinal), names);
        Assert.Equal(30, s.DockerOk("ps", "-aq").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        // Removed half by each front end, at once.
        var rmCli = Task.Run(() => s.Berth.Ok(["rm", .. Enumerable.Range(0, 15).Select(i => $"api{i}")]), TestContext.Current.CancellationToken);
        var rmApi = Task.Run(() => s.DockerOk(["rm", .. Enumerable.Range(0, 15).Select(i => $"cli{i}")]), TestContext.Current.CancellationToken);
        await Task.WhenAll(rmCli, rmApi).WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
        Assert.Equal("", s.Berth.Ok("ps", "-aq"));
        s.Berth.Ok("system", "check");
    }

    [Fact]
    public void ContainersKeepRunningWhenTheDaemonStopsAndAreManagedAgainByTheNext()
    {
        // A daemon upgrade or restart must not take the containers down: their monitors are their own processes.
        HostCapabilities.Require(File.Exists("/usr/local/bin/docker"), "needs the docker CLI");
        using var s = new ApiStore(image);
        var id = s.DockerOk("run", "-d", "--name", "keeper", "busybox:latest", "sh", "-c", "echo ready; sleep 300").Trim();
        Wait.For(() => s.Docker("logs", "keeper").Stdout.Contains("ready"), "the container to start");
        Assert.Equal(0, s.Daemon.Stop());
        Assert.False(File.Exists(s.Daemon.Socket), "the socket is removed on a clean stop");
        Assert.Equal("running\n", s.Berth.Ok("inspect", "-f", "{{.State.Status}}", "keeper"));
        using var next = s.Berth.StartDaemon();
        Assert.Equal($"{id[..12]} running\n", next.DockerOk("ps", "--format", "{{.ID}} {{.State}}"));
        Assert.Equal("keeper\n", next.DockerOk("stop", "-t", "1", "keeper"));
        Assert.Equal("exited\n", s.Berth.Ok("inspect", "-f", "{{.State.Status}}", "keeper"));
    }
}
