using System.Diagnostics;
using Berth.Testing;

namespace Berth.Api.Tests;

/// <summary>Who may use the daemon's socket, and a socket handed over by systemd (socket activation).</summary>
[Collection("api")]
public sealed class DaemonSocketTests
{
    private static string Stat(string format, string path) => Run.Tool("stat", ["-c", format, path]).Stdout.Trim();

    [Fact]
    public void TheSocketIsRootsOnlyWithoutItsGroupAnd0660WithIt()
    {
        // The socket is root access to the machine: dockerd gives it to its group only when that group exists.
        HostCapabilities.RequireRoot();
        using var dir = new TempDirectory("berth-api-socket");
        using (var alone = new Testing.Berth(dir.Combine("a")))
        using (var daemon = alone.StartDaemon("--group", "no-such-group-berth-test"))
        {
            Assert.Equal("600 0 0", Stat("%a %u %g", daemon.Socket));
        }
        // A group that exists on every machine (adm, gid 4 on Debian) stands for a berth group.
        var gid = Run.Tool("getent", ["group", "adm"]).Stdout.Split(':') is { Length: >= 3 } g ? g[2] : null;
        HostCapabilities.Require(gid is not null, "needs the adm group");
        using (var shared = new Testing.Berth(dir.Combine("b")))
        using (var daemon = shared.StartDaemon("--group", "adm"))
        {
            // The socket answers once bound; its group and mode are set right after, before the daemon says so.
            Wait.For(() => daemon.Log.Contains("API listen on", StringComparison.Ordinal), "the daemon's \"API listen on\" line");
            Assert.Equal($"660 0 {gid}", Stat("%a %u %g", daemon.Socket));
        }
    }

    [Fact]
    public async Task SocketActivationServesTheSocketSystemdPasses()
    {
        // berth daemon -H fd:// under systemd-socket-activate (as a berth.socket unit would): the listening socket
        // comes as fd 3 with LISTEN_FDS/LISTEN_PID, the daemon starts on the first connection and answers it.
        HostCapabilities.RequireRoot();
        HostCapabilities.RequireTool("systemd-socket-activate");
        using var dir = new TempDirectory("berth-api-activate");
        using var berth = new Testing.Berth(dir.Combine("root"));
        var socket = dir.Combine("activated.sock");
        var psi = new ProcessStartInfo("systemd-socket-activate") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // systemd-socket-activate passes the launched process only the environment named with -E.
        foreach (var a in (string[])["-l", socket, "-E", "PATH", "-E", "HOME", "-E", $"BERTH_CGROUP_PARENT={berth.CgroupParent}", "-E", "BERTH_DEFAULT_NETWORK=none",
                     RepoPaths.BerthBinary, "daemon", "--root", berth.Root, "--state-dir", berth.StateDir, "-H", "fd://"])
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            Wait.For(() => File.Exists(socket), "systemd-socket-activate's socket");
            var env = new Dictionary<string, string> { ["DOCKER_HOST"] = "unix://" + socket };
            var version = Run.Tool("/usr/local/bin/docker", ["version", "--format", "{{.Server.Os}} {{.Server.APIVersion}}"], timeout: TimeSpan.FromSeconds(90), env: env);
            Assert.True(version.ExitCode == 0, version.ToString());
            Assert.Equal("linux 1.47\n", version.Stdout);
            Assert.Equal("0\n", Run.Tool("/usr/local/bin/docker", ["info", "--format", "{{.Containers}}"], env: env).Stdout);
            // The daemon took the launcher's place (exec): SIGTERM ends it cleanly.
            Assert.Contains("berth", File.ReadAllText($"/proc/{process.Id}/cmdline"));
            Run.Tool("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.True(process.WaitForExit(30_000), "berth daemon did not stop on SIGTERM");
            var log = await stderr.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {log}");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
