using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary><c>top</c> runs ps as dockerd does (daemon/top_unix.go), issue 13.</summary>
[Collection("containers")]
public sealed class TopTests(BusyboxFixture image)
{
    [Fact]
    public void TopPassesTheContainersPidsToPs()
    {
        // dockerd appends -q<pids>: "-o pid,comm" alone selects the container's processes (before: the header only).
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "web", "busybox", "sleep", "300");
        var pid = s.Ok("inspect", "-f", "{{.State.Pid}}", "web").Trim();
        var lines = s.Ok("top", "web", "-o", "pid,comm").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(["PID", "COMMAND"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal([pid, "sleep"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        // From a terminal, as a user types it: without -q, ps would list only the terminal's own processes.
        HostCapabilities.Require(File.Exists("/usr/bin/script"), "needs script (util-linux) for a pseudo-terminal");
        var command = string.Join(' ', new[] { RepoPaths.BerthBinary }.Concat(s.Berth.GlobalArgs).Concat(["top", "web", "-o", "pid,comm"]).Select(a => $"'{a}'"));
        var tty = Run.Tool("script", ["-qec", command, "/dev/null"], env: s.Berth.Environment);
        Assert.True(tty.ExitCode == 0, tty.ToString());
        Assert.Equal([pid, "sleep"], tty.Stdout.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        // BSD options select with -q too: "x" lists the container's process with its whole command line.
        var bsd = s.Ok("top", "web", "x").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["PID", "TTY", "STAT", "TIME", "COMMAND"], bsd[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Single(bsd, l => l.EndsWith("sleep 300"));
        // A column renamed to PID would fool the parser: refused as docker does.
        var renamed = s.Run("top", "web", "-o", "user=PID");
        Assert.True(renamed.ExitCode == 1 && renamed.Stderr.Contains("specifying \"user=PID\" is not allowed"), renamed.ToString());
    }
}
