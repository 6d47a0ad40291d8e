using System.Diagnostics;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>rename, pause/unpause, diff and export (issue 13), with docker's output, errors and exit codes.</summary>
[Collection("containers")]
public sealed class ContainerExtraCommandsTests(BusyboxFixture image)
{
    [Fact]
    public void RenameKeepsTheContainerAndRefusesDockersCases()
    {
        using var s = new ContainerStore(image);
        var id = s.Ok("create", "--name", "old", "busybox", "true").Trim();
        s.Ok("create", "--name", "taken", "busybox", "true");
        Assert.Equal("", s.Ok("rename", "old", "/fresh"));
        Assert.Equal($"/fresh {id}\n", s.Ok("inspect", "-f", "{{.Name}} {{.Id}}", "fresh"));
        AssertFails(s.Run("rename", "old", "x"), "No such container: old");
        AssertFails(s.Run("rename", "fresh", "fresh"), "Renaming a container with the same name as its current name");
        AssertFails(s.Run("rename", "fresh", "taken"), "Conflict. The container name \"/taken\" is already in use by container");
        AssertFails(s.Run("rename", "fresh", "bad name"), "Invalid container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        AssertFails(s.Run("rename", "fresh", ""), "Neither old nor new names may be empty");
        Assert.Equal(125, s.Run("rename", "fresh").ExitCode);
        // The old name is free again.
        s.Ok("create", "--name", "old", "busybox", "true");
    }

    [Fact]
    public void PauseFreezesTheContainerAndStopOrKillStillEndIt()
    {
        using var s = new ContainerStore(image);
        var id = s.Ok("run", "-d", "--name", "counter", "busybox", "sh", "-c", "while true; do date +%s%N > /tmp/tick; usleep 10000; done").Trim();
        Assert.Equal("counter\n", s.Ok("pause", "counter"));
        Assert.Equal("paused true true\n", s.Ok("inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Paused}}", "counter"));
        Assert.EndsWith("(Paused)", s.Ok("ps", "--format", "{{.Status}}", "--filter", "name=counter").Trim());
        Assert.Equal("counter\n", s.Ok("ps", "--format", "{{.Names}}", "--filter", "status=paused"));
        Assert.Equal("", s.Ok("ps", "-q", "--filter", "status=running"));
        // Frozen: the tick file does not move while paused.
        var tick = Path.Combine(s.Root, "containers", id, "upper", "tmp", "tick");
        var before = File.ReadAllText(tick);
        Thread.Sleep(200);
        Assert.Equal(before, File.ReadAllText(tick));
        AssertFails(s.Run("pause", "counter"), $"Container {id} is already paused");
        // As docker 28 (dockerd 20.10): the daemon's refusal, exit 1, naming the container as given.
        AssertFails(s.Run("exec", "counter", "true"), "Error: Container counter is paused, unpause the container before exec");
        AssertFails(s.Run("exec", "-d", "counter", "true"), "Error: Container counter is paused, unpause the container before exec");

        Assert.Equal("counter\n", s.Ok("unpause", "counter"));
        Assert.Equal("running false\n", s.Ok("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "counter"));
        AssertEventually(() => File.ReadAllText(tick) != before);
        AssertFails(s.Run("unpause", "counter"), $"Container {id} is not paused");
        AssertFails(s.Run("pause", "nope"), "No such container: nope");

        // A paused container still stops (SIGTERM, then SIGKILL after the timeout) and is killed, as docker's: 137.
        s.Ok("pause", "counter");
        var clock = Stopwatch.StartNew();
        s.Ok("stop", "-t", "1", "counter");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"stop took {clock.Elapsed}");
        Assert.Equal("exited 137 false\n", s.Ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.Paused}}", "counter"));
        AssertFails(s.Run("pause", "counter"), $"Container {id} is not running");
        s.Ok("start", "counter");
        s.Ok("pause", "counter");
        s.Ok("kill", "counter");
        AssertEventually(() => s.Ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "counter") == "exited 137\n");
        s.Ok("start", "counter");
        s.Ok("pause", "counter");
        AssertFails(s.Run("rm", "counter"), "You cannot remove a running container");
        s.Ok("rm", "-f", "counter");
    }

    [Fact]
    public void DiffListsAddedChangedAndDeletedPathsOfTheUpperDir()
    {
        using var s = new ContainerStore(image);
        s.Ok("run", "--name", "changed", "busybox", "sh", "-c",
            "mkdir -p /new/sub; echo x > /new/sub/f; echo y >> /etc/passwd; rm /bin/ls; rm -rf /home; touch /tmp/t; ln -s /etc /lnk");
        var lines = s.Ok("diff", "changed").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["C /bin", "D /bin/ls", "C /etc", "C /etc/passwd", "D /home", "A /lnk", "A /new", "A /new/sub", "A /new/sub/f", "C /tmp", "A /tmp/t"],
            lines);
        AssertFails(s.Run("diff", "nope"), "No such container: nope");
        Assert.Equal(125, s.Run("diff").ExitCode);
    }

    [Fact]
    public void ExportWritesTheWholeFilesystemOfAStoppedOrRunningContainer()
    {
        using var s = new ContainerStore(image);
        s.Ok("run", "--name", "exp", "busybox", "sh", "-c", "echo mine > /root/file; rm /bin/ls");
        var tar = s.Dir.Combine("exp.tar");
        Assert.Equal("", s.Ok("export", "-o", tar, "exp"));
        var names = Run.Tool("tar", ["-tf", tar]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(n => n.TrimStart('.', '/').TrimEnd('/')).ToHashSet();
        Assert.Contains("root/file", names);
        Assert.Contains("bin/busybox", names);
        Assert.Contains("bin/sh", names);
        Assert.DoesNotContain("bin/ls", names);
        Assert.Equal("mine\n", Run.Tool("tar", ["-xOf", tar, names.Contains("./root/file") ? "./root/file" : "root/file"]).Stdout);
        // The export mounted nothing on the host.
        Assert.DoesNotContain(s.Root, File.ReadAllText("/proc/self/mountinfo"));

        s.Ok("run", "-d", "--name", "live", "busybox", "sh", "-c", "echo live > /live; sleep 300");
        AssertEventually(() => s.Run("exec", "live", "cat", "/live").Stdout == "live\n");
        var live = s.Dir.Combine("live.tar");
        s.Ok("export", "--output", live, "live");
        Assert.Contains("live", Run.Tool("tar", ["-tf", live]).Stdout.Split('\n').Select(n => n.TrimStart('.', '/')));
        AssertFails(s.Run("export", "-o", s.Dir.Combine("x.tar"), "nope"), "No such container: nope");
        Assert.False(File.Exists(s.Dir.Combine("x.tar")));
    }

    [Fact]
    public void CommitMakesAnImageOfTheContainersChanges()
    {
        using var s = new ContainerStore(image);
        s.Ok("run", "--name", "src", "-e", "FOO=bar", "-w", "/data", "busybox", "sh", "-c", "echo kept > /data/f; rm /bin/ls");
        var id = s.Ok("commit", "-a", "me <me@example.com>", "-m", "first", "-c", "CMD [\"cat\", \"/data/f\"]", "-c", "ENV MORE=1", "src", "snap:v1").Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", id);
        Assert.Equal("kept\n", s.Ok("run", "--rm", "snap:v1"));
        Assert.Equal("bar 1 /data missing\n", s.Ok("run", "--rm", "snap:v1", "sh", "-c", "echo $FOO $MORE $(pwd) $([ -e /bin/ls ] && echo present || echo missing)"));
        Assert.Equal($"{id} me <me@example.com> 2 first\n", s.Ok("image", "inspect", "-f", "{{.Id}} {{.Author}} {{len .RootFS.Layers}} {{.Comment}}", "snap:v1"));
        // The new layer holds the container's changes (a whiteout for /bin/ls), not berth's mount points for
        // /etc/hostname, hosts and resolv.conf.
        var top = s.Ok("image", "inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", "snap:v1").Trim();
        Assert.Equal("kept\n", File.ReadAllText(Path.Combine(top, "data", "f")));
        Assert.True(File.Exists(Path.Combine(top, "bin", "ls")) && new FileInfo(Path.Combine(top, "bin", "ls")).Length == 0, "whiteout for /bin/ls");
        Assert.False(File.Exists(Path.Combine(top, "etc", "hostname")));
        Assert.False(File.Exists(Path.Combine(top, "etc", "resolv.conf")));

        // A running container is paused while its files are read, and runs on afterwards.
        s.Ok("run", "-d", "--name", "live", "busybox", "sh", "-c", "echo live > /live; sleep 300");
        AssertEventually(() => s.Run("exec", "live", "cat", "/live").Stdout == "live\n");
        var live = s.Ok("commit", "live").Trim();
        Assert.Equal("running false\n", s.Ok("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "live"));
        Assert.Equal("live\n", s.Ok("run", "--rm", live, "cat", "/live"));
        AssertFails(s.Run("commit", "nope"), "No such container: nope");
    }

    [Fact]
    public void StatsShowsDockersColumnsFromTheCgroup()
    {
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "busy", "-m", "64m", "busybox", "sh", "-c", "while :; do :; done & sleep 300");
        var table = s.Ok("stats", "--no-stream", "busy").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"],
            System.Text.RegularExpressions.Regex.Split(table[0], "  +"));
        var fields = s.Ok("stats", "--no-stream", "--format", "{{.Container}}|{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.MemPerc}}|{{.NetIO}}|{{.PIDs}}", "busy").Trim().Split('|');
        Assert.Equal("busy", fields[0]);
        Assert.Equal("busy", fields[1]);
        // The busy loop uses a good share of a CPU; docker prints two decimals.
        Assert.Matches(@"^\d+\.\d\d%$", fields[2]);
        Assert.True(double.Parse(fields[2].TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture) > 5, fields[2]);
        Assert.Matches(@"^[0-9.]+(B|KiB|MiB) / 64MiB$", fields[3]);
        Assert.Matches(@"^\d+\.\d\d%$", fields[4]);
        Assert.Equal("0B / 0B", fields[5]);
        Assert.Contains(fields[6], new[] { "2", "3" }); // sh (or the sleep it execs) and the loop's subshell

        s.Ok("kill", "busy");
        AssertEventually(() => s.Ok("inspect", "-f", "{{.State.Status}}", "busy") == "exited\n");
        Assert.Equal("busy 0.00% 0B / 0B 0\n", s.Ok("stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}", "busy"));
        AssertFails(s.Run("stats", "--no-stream", "nope"), "No such container: nope");
    }

    private static void AssertFails(RunResult r, string message, int exitCode = 1) =>
        Assert.True(r.ExitCode == exitCode && r.Stderr.Contains(message), $"expected exit {exitCode} and '{message}': {r}");

    private static void AssertEventually(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "condition not met within 10 s");
            Thread.Sleep(20);
        }
    }
}
