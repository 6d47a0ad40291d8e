using System.Diagnostics;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>exec under the container's seccomp filter, <c>--privileged</c>, and <c>--init</c>.</summary>
[Collection("containers")]
public sealed class ExecInitPrivilegedTests(BusyboxFixture image)
{
    private static string Field(string status, string name) =>
        status.Split('\n').First(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split('\t', 2)[1].Trim();

    private static string OwnBoundingSet() => Field(File.ReadAllText("/proc/self/status"), "CapBnd");

    [Fact]
    public void ExecIsConfinedLikeTheContainer()
    {
        // An exec'd process gets the container's seccomp filter and capabilities: `docker exec` is no way around them.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "target", "busybox", "sleep", "100");
        var status = s.Ok("exec", "target", "cat", "/proc/self/status");
        Assert.Equal("2", Field(status, "Seccomp"));
        Assert.Equal("00000000a80425fb", Field(status, "CapEff"));
        var asApp = s.Ok("exec", "-u", "app", "target", "cat", "/proc/self/status");
        Assert.Equal("2", Field(asApp, "Seccomp"));
        Assert.Equal("0000000000000000", Field(asApp, "CapEff"));
        s.Run("exec", "target", "unshare", "-m", "true").AssertExit(1, "Operation not permitted");
        Assert.Equal(OwnBoundingSet(), Field(s.Ok("exec", "--privileged", "target", "cat", "/proc/self/status"), "CapEff"));
        Assert.Equal(127, s.Run("exec", "target", "nosuchcommand").ExitCode);
        Assert.Equal(126, s.Run("exec", "target", "/etc/passwd").ExitCode);
        s.Ok("rm", "-f", "target");
    }

    [Fact]
    public void PrivilegedGetsEveryCapabilityBerthHoldsAndCanMount()
    {
        // --privileged: all capabilities up to cap_last_cap that berth's own bounding set holds (capset cannot grant
        // more), no seccomp filter, and mount works.
        using var s = new ContainerStore(image);
        var status = s.Ok("run", "--rm", "--privileged", "busybox", "cat", "/proc/self/status");
        Assert.Equal(OwnBoundingSet(), Field(status, "CapEff"));
        Assert.Equal("0", Field(status, "Seccomp"));
        Assert.Contains("none /mnt tmpfs", s.Ok("run", "--rm", "--privileged", "busybox", "sh", "-c", "mkdir -p /mnt && mount -t tmpfs none /mnt && grep /mnt /proc/mounts"));
    }

    [Fact]
    public void InitIsPid1ReapsOrphansAndReturnsTheCommandsCode()
    {
        // --init: berth stays PID 1 (tini's job), the command is its child, orphans are reaped, its code is run's.
        using var s = new ContainerStore(image);
        var ps = s.Ok("run", "--rm", "--init", "busybox", "sh", "-c", "sleep 100 & sleep 100 & ps -o pid,comm");
        var rows = ps.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Contains(rows, r => r[0] == "1" && r[1] == "berth");
        Assert.Contains(rows, r => r[0] != "1" && r[1] == "ps");
        var zombies = s.Ok("run", "--rm", "--init", "busybox", "sh", "-c", "(sleep 0.2 &); sleep 0.6; ps -o stat,comm");
        Assert.DoesNotContain("\nZ", "\n" + zombies);
        Assert.Equal(7, s.Run("run", "--rm", "--init", "busybox", "sh", "-c", "exit 7").ExitCode);
        Assert.Equal(127, s.Run("run", "--rm", "--init", "busybox", "nosuchcommand").ExitCode);
    }

    [Fact]
    public void StopReachesTheCommandThroughInitAndEscalatesWhenIgnored()
    {
        // Signals go through the init to the command; one that ignores SIGTERM is still stopped within the timeout.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--init", "--name", "handles", "busybox", "sh", "-c", "trap 'exit 3' TERM; echo ready; while true; do sleep 0.1; done");
        s.Ok("run", "-d", "--init", "--name", "ignores", "busybox", "sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done");
        s.Berth.WaitForLog("handles", "ready");
        s.Berth.WaitForLog("ignores", "ready");
        s.Ok("stop", "-t", "10", "handles");
        Assert.Equal("3", s.Ok("inspect", "-f", "{{.State.ExitCode}}", "handles").Trim());
        var clock = Stopwatch.StartNew();
        s.Ok("stop", "-t", "1", "ignores");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"stop took {clock.Elapsed}");
        Assert.Equal("137", s.Ok("inspect", "-f", "{{.State.ExitCode}}", "ignores").Trim());
        s.Ok("rm", "handles", "ignores");
    }
}
