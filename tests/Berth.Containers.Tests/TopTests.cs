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
        // BSD options select with -q too: "x" lists the container's process with its whole command line.
        var bsd = s.Ok("top", "web", "x").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["PID", "TTY", "STAT", "TIME", "COMMAND"], bsd[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Single(bsd, l => l.EndsWith("sleep 300"));
        // A column renamed to PID would fool the parser: refused as docker does.
        var renamed = s.Run("top", "web", "-o", "user=PID");
        Assert.True(renamed.ExitCode == 1 && renamed.Stderr.Contains("specifying \"user=PID\" is not allowed"), renamed.ToString());
    }
}
