using System.Text.Json;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary><c>run</c>'s flags, each observed from inside the container; exec; volumes.</summary>
[Collection("containers")]
public sealed class RunFlagTests(BusyboxFixture image)
{
    [Fact]
    public void ProcessFlagsReachTheCommand()
    {
        // -e/--env-file/-w/-u/--entrypoint/--hostname shape the process exactly as docker's would.
        using var s = new ContainerStore(image);
        var envFile = s.Dir.Combine("env");
        File.WriteAllText(envFile, "# comment\nFROM_FILE=1\nOVER=file\n");
        Assert.Equal("1 cli /tmp\n", s.Ok("run", "--rm", "--env-file", envFile, "-e", "OVER=cli", "-w", "/tmp", "busybox", "sh", "-c", "echo $FROM_FILE $OVER $(pwd)"));
        Assert.Equal("uid=1000(app) gid=1000(app) groups=10(wheel),1000(app)\n", s.Ok("run", "--rm", "-u", "app", "busybox", "id"));
        Assert.Equal("uid=65534(nobody) gid=0(root) groups=0(root)\n", s.Ok("run", "--rm", "-u", "65534:0", "busybox", "id"));
        Assert.Equal("via entrypoint\n", s.Ok("run", "--rm", "--entrypoint", "echo", "busybox", "via", "entrypoint"));
        Assert.Equal("boxy\nboxy\n", s.Ok("run", "--rm", "--hostname", "boxy", "busybox", "sh", "-c", "hostname; cat /etc/hostname"));
        Assert.Equal("1\n", s.Ok("run", "--rm", "busybox", "sh", "-c", "echo $$"));
        Assert.Equal("piped\n", s.RunWithStdin("piped\n", "run", "--rm", "-i", "busybox", "cat"));
        Assert.Equal("", s.RunWithStdin("ignored\n", "run", "--rm", "busybox", "cat"));
    }

    [Fact]
    public void HostFlagsShapeTheContainersSystem()
    {
        // --add-host, --dns*, --ulimit, --shm-size, --sysctl, --group-add, --oom-score-adj, --domainname, --cidfile,
        // --label-file and -h, as docker applies them; and docker's refusals.
        using var s = new ContainerStore(image);
        var cidFile = s.Dir.Combine("cid");
        var labelFile = s.Dir.Combine("labels");
        File.WriteAllText(labelFile, "# comment\nfrom=file\n");
        var output = s.Ok("run", "--name", "shaped", "--add-host", "db:10.0.0.5", "--dns", "192.0.2.1", "--dns-search", "example.com",
            "--dns-option", "ndots:2", "--ulimit", "nofile=2048:4096", "--shm-size", "128m", "--sysctl", "net.ipv4.ip_forward=1",
            "--group-add", "1234", "--oom-score-adj", "500", "--domainname", "example.org", "--cidfile", cidFile, "--label-file", labelFile,
            "-h", "shapedhost", "busybox", "sh", "-c",
            "tail -1 /etc/hosts; grep -v '^#' /etc/resolv.conf; ulimit -n; ulimit -Hn; df -k /dev/shm | tail -1 | awk '{print $2}'; " +
            "cat /proc/sys/net/ipv4/ip_forward; id -G; cat /proc/self/oom_score_adj; cat /proc/sys/kernel/domainname; hostname");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("10.0.0.5\tdb", lines[0]);
        Assert.Equal(["nameserver 192.0.2.1", "search example.com", "options ndots:2"], lines.Where(l => l.StartsWith("nameserver") || l.StartsWith("search") || l.StartsWith("options")));
        Assert.Equal(["2048", "4096", "131072", "1"], lines.SkipWhile(l => !l.StartsWith("options")).Skip(1).Take(4));
        Assert.Contains("1234", lines[^4].Split(' '));
        Assert.Equal(["500", "example.org", "shapedhost"], lines[^3..]);
        var id = File.ReadAllText(cidFile);
        Assert.Equal(64, id.Length);
        Assert.Equal("file 500 [db:10.0.0.5] [192.0.2.1] nofile=2048:4096 134217728 example.org\n", s.Ok("inspect", "-f",
            "{{.Config.Labels.from}} {{.HostConfig.OomScoreAdj}} {{.HostConfig.ExtraHosts}} {{.HostConfig.Dns}} " +
            "{{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}}{{end}} {{.HostConfig.ShmSize}} {{.Config.Domainname}}", "shaped"));
        // Without --ulimit the container has the caller's limits, as docker's have dockerd's.
        Assert.Equal($"{Run.Tool("/bin/sh", ["-c", "ulimit -n"]).Stdout.Trim()}\n", s.Ok("run", "--rm", "busybox", "sh", "-c", "ulimit -n"));

        var again = s.Run("run", "--rm", "--cidfile", cidFile, "busybox", "true");
        Assert.True(again.ExitCode == 125 && again.Stderr.Contains("Container ID file found"), again.ToString());
        var sysctl = s.Run("run", "--rm", "--sysctl", "kernel.hostname=x", "busybox", "true");
        Assert.True(sysctl.ExitCode == 125 && sysctl.Stderr.Contains("sysctl 'kernel.hostname' is not whitelisted"), sysctl.ToString());
        var ulimit = s.Run("run", "--rm", "--ulimit", "nofile=10:5", "busybox", "true");
        Assert.True(ulimit.ExitCode == 125 && ulimit.Stderr.Contains("soft limit must be less than or equal to hard limit"), ulimit.ToString());
        var host = s.Run("run", "--rm", "--add-host", "db:not-an-ip", "busybox", "true");
        Assert.True(host.ExitCode == 125 && host.Stderr.Contains("invalid IP address"), host.ToString());
        Assert.Equal(125, s.Run("run", "--rm", "--oom-score-adj", "5000", "busybox", "true").ExitCode);
        s.Ok("rm", "shaped");
    }

    [Fact]
    public void HostNamespacesDevicesAndCgroupKnobs()
    {
        // --pid/--ipc/--uts host share the host's namespace; --device makes the node and lets the device cgroup allow
        // exactly the permissions given; the cgroup knobs land in the container's cgroup files.
        using var s = new ContainerStore(image);
        Assert.Equal("False\n", s.Ok("run", "--rm", "--pid", "host", "busybox", "sh", "-c", "[ $$ = 1 ] && echo True || echo False"));
        Assert.Equal(Environment.MachineName + "\n", s.Ok("run", "--rm", "--uts", "host", "busybox", "hostname"));
        var conflict = s.Run("run", "--rm", "--uts", "host", "-h", "x", "busybox", "true");
        Assert.True(conflict.ExitCode == 125 && conflict.Stderr.Contains("Conflicting options: hostname and the UTS mode"), conflict.ToString());
        var shm = $"/dev/shm/berth-test-{Guid.NewGuid():N}";
        File.WriteAllText(shm, "shared\n");
        try
        {
            Assert.Equal("shared\n", s.Ok("run", "--rm", "--ipc", "host", "busybox", "cat", shm));
            s.Run("run", "--rm", "busybox", "cat", shm).AssertExit(1, "No such file or directory");
        }
        finally
        {
            File.Delete(shm);
        }

        HostCapabilities.Require(File.Exists("/dev/loop0"), "needs /dev/loop0");
        Assert.Equal("readable\n", s.Ok("run", "--rm", "--device", "/dev/loop0", "busybox", "sh", "-c", "head -c 1 /dev/loop0 >/dev/null && echo readable"));
        var readOnly = s.Run("run", "--rm", "--device", "/dev/loop0:/dev/disk0:r", "busybox", "sh", "-c", "test -b /dev/disk0 && echo node; echo x > /dev/disk0");
        Assert.Equal("node\n", readOnly.Stdout);
        Assert.Contains("Operation not permitted", readOnly.Stderr);
        s.Run("run", "--rm", "busybox", "test", "-e", "/dev/loop0").AssertExit(1);
        Assert.Equal(125, s.Run("run", "--rm", "--device", "/no/such/device", "busybox", "true").ExitCode);

        var id = s.Ok("run", "-d", "--cpuset-cpus", "0", "--cpu-period", "50000", "--cpu-quota", "25000", "--memory-reservation", "32m",
            "--oom-kill-disable", "-m", "64m", "busybox", "sleep", "30").Trim();
        string Read(string path) => File.ReadAllText(path).Trim();
        if (Directory.Exists($"/sys/fs/cgroup/cpu{s.Berth.CgroupParent}/{id}"))
        {
            // cgroup v1 (this machine's controllers)
            Assert.Equal("0", Read($"/sys/fs/cgroup/cpuset{s.Berth.CgroupParent}/{id}/cpuset.cpus"));
            Assert.Equal("50000", Read($"/sys/fs/cgroup/cpu{s.Berth.CgroupParent}/{id}/cpu.cfs_period_us"));
            Assert.Equal("25000", Read($"/sys/fs/cgroup/cpu{s.Berth.CgroupParent}/{id}/cpu.cfs_quota_us"));
            Assert.Equal("33554432", Read($"/sys/fs/cgroup/memory{s.Berth.CgroupParent}/{id}/memory.soft_limit_in_bytes"));
            Assert.StartsWith("oom_kill_disable 1", Read($"/sys/fs/cgroup/memory{s.Berth.CgroupParent}/{id}/memory.oom_control"));
        }
        else
        {
            Assert.Equal("25000 50000", Read($"/sys/fs/cgroup{s.Berth.CgroupParent}/{id}/cpu.max"));
            Assert.Equal("0", Read($"/sys/fs/cgroup{s.Berth.CgroupParent}/{id}/cpuset.cpus"));
        }
        Assert.Equal("0 50000 25000 33554432 true\n", s.Ok("inspect", "-f",
            "{{.HostConfig.CpusetCpus}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.MemoryReservation}} {{.HostConfig.OomKillDisable}}", id));
        s.Ok("rm", "-f", id);
        Assert.Equal(125, s.Run("run", "--rm", "--cpus", "1", "--cpu-period", "1000", "busybox", "true").ExitCode);
    }

    [Fact]
    public void AnEmptyVolumeStartsWithTheImagesFilesAtItsPath()
    {
        // docker's rule: a new (empty) volume mounted over image content is seeded with a copy of it, owners and
        // modes kept; a volume that already has files is left as it is.
        using var s = new ContainerStore(image);
        Assert.Equal("root\n", s.Ok("run", "--rm", "-v", "etcvol:/etc", "busybox", "sh", "-c", "head -1 /etc/passwd | cut -d: -f1"));
        Assert.Equal("1000:1000 drwxr-xr-x\n", s.Ok("run", "--rm", "-v", "homevol:/home", "busybox", "sh", "-c", "stat -c '%u:%g %A' /home/app"));
        s.Ok("run", "--rm", "-v", "etcvol:/etc", "busybox", "sh", "-c", "rm /etc/group && echo mine > /etc/marker");
        // Not empty any more: no second copy.
        Assert.Equal("mine\nno group\n", s.Ok("run", "--rm", "-v", "etcvol:/etc", "busybox", "sh", "-c", "cat /etc/marker; test -e /etc/group || echo no group"));
        // A path the image does not have: the volume stays empty.
        Assert.Equal("", s.Ok("run", "--rm", "-v", "fresh:/nowhere", "busybox", "ls", "-A", "/nowhere"));
        // nocopy: the volume is used as it is, empty.
        Assert.Equal("", s.Ok("run", "--rm", "-v", "bare:/home:nocopy", "busybox", "ls", "-A", "/home"));
        Assert.Equal("", s.Ok("run", "--rm", "--mount", "type=volume,source=bare2,target=/home,volume-nocopy", "busybox", "ls", "-A", "/home"));
        Assert.Equal("", s.Ok("run", "--rm", "-v", "bare:/v", "busybox", "ls", "-A", "/v"));
    }

    [Fact]
    public void FilesystemFlagsShapeTheMounts()
    {
        // Binds, named volumes, tmpfs and a read-only root: what the container can write, and where it lands.
        using var s = new ContainerStore(image);
        var host = s.Dir.Sub("host");
        File.WriteAllText(Path.Combine(host, "in"), "from host\n");
        Assert.Equal("from host\n", s.Ok("run", "--rm", "-v", $"{host}:/data", "busybox", "sh", "-c", "cat /data/in; echo out > /data/out"));
        Assert.Equal("out\n", File.ReadAllText(Path.Combine(host, "out")));
        s.Run("run", "--rm", "-v", $"{host}:/data:ro", "busybox", "touch", "/data/x").AssertExit(1, "Read-only file system");
        Assert.Equal("from host\n", s.Ok("run", "--rm", "--mount", $"type=bind,source={host},target=/m,readonly", "busybox", "cat", "/m/in"));

        s.Ok("run", "--rm", "-v", "keep:/v", "busybox", "sh", "-c", "echo persisted > /v/file");
        Assert.Equal("persisted\n", s.Ok("run", "--rm", "--mount", "type=volume,source=keep,target=/w", "busybox", "cat", "/w/file"));
        Assert.Contains("keep", s.Ok("volume", "ls", "-q"));

        Assert.Contains("tmpfs /scratch tmpfs", s.Ok("run", "--rm", "--tmpfs", "/scratch", "busybox", "cat", "/proc/mounts"));
        s.Run("run", "--rm", "--read-only", "busybox", "touch", "/x").AssertExit(1, "touch: /x: Read-only file system");
        Assert.Equal(0, s.Run("run", "--rm", "--read-only", "--tmpfs", "/tmp", "busybox", "touch", "/tmp/x").ExitCode);
    }

    [Fact]
    public void AFileWrittenInOneContainerIsAbsentInAnotherAndInTheImage()
    {
        // Each container has its own writable layer over the shared, read-only image layers.
        using var s = new ContainerStore(image);
        s.Ok("run", "--name", "writer", "busybox", "sh", "-c", "echo mine > /written; rm /bin/true");
        Assert.Equal(1, s.Run("run", "--rm", "busybox", "test", "-e", "/written").ExitCode);
        Assert.Equal(0, s.Run("run", "--rm", "busybox", "test", "-e", "/bin/true").ExitCode);
        var snapshots = Path.Combine(s.Root, "snapshots");
        Assert.Empty(Directory.GetFiles(snapshots, "written", SearchOption.AllDirectories));
        Assert.Equal("mine\n", File.ReadAllText(Directory.GetFiles(Path.Combine(s.Root, "containers"), "written", SearchOption.AllDirectories).Single()));
    }

    [Fact]
    public void SecurityAndResourceFlagsAreApplied()
    {
        // Capabilities, no_new_privs and cgroup limits as docker's flags ask.
        using var s = new ContainerStore(image);
        string Status(params string[] flags) => s.Ok(["run", "--rm", .. flags, "busybox", "cat", "/proc/self/status"]);
        static string Field(string status, string name) => status.Split('\n').First(l => l.StartsWith(name + ":")).Split('\t', 2)[1].Trim();
        Assert.Equal("00000000a80425fb", Field(Status(), "CapEff"));
        Assert.Equal("00000000a80425fa", Field(Status("--cap-drop", "CHOWN"), "CapEff"));
        Assert.Equal("00000000a82425fb", Field(Status("--cap-add", "SYS_ADMIN"), "CapEff"));
        Assert.Equal("0", Field(Status(), "NoNewPrivs"));
        Assert.Equal("1", Field(Status("--security-opt", "no-new-privileges"), "NoNewPrivs"));
        Assert.Equal("2", Field(Status(), "Seccomp"));

        // Each limit file on its own line as name=value, whichever hierarchy the host has.
        var limits = s.Ok("run", "--rm", "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5", "--cpu-shares", "512", "busybox", "sh", "-c",
            "for f in memory.max pids.max cpu.max cpu.weight memory/memory.limit_in_bytes pids/pids.max cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares; " +
            "do [ -f /sys/fs/cgroup/$f ] && echo \"$f=$(cat /sys/fs/cgroup/$f)\"; done; true");
        var limitFiles = limits.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Dictionary<string, string> expected = limitFiles.ContainsKey("cpu.max")
            // cgroup v2: --cpu-shares 512 is cpu.weight 1 + (512 - 2) * 9999 / 262142 = 20, runc's conversion.
            ? new() { ["memory.max"] = "67108864", ["pids.max"] = "50", ["cpu.max"] = "50000 100000", ["cpu.weight"] = "20" }
            : new() { ["memory/memory.limit_in_bytes"] = "67108864", ["pids/pids.max"] = "50", ["cpu/cpu.cfs_quota_us"] = "50000", ["cpu/cpu.cfs_period_us"] = "100000", ["cpu/cpu.shares"] = "512" };
        Assert.Equal(expected.OrderBy(e => e.Key), limitFiles.OrderBy(e => e.Key));

        using var doc = JsonDocument.Parse(s.Ok("inspect", s.Ok("create", "--memory", "64m", "--stop-signal", "USR1", "--stop-timeout", "3", "--network", "host", "busybox", "true").Trim()));
        var c = doc.RootElement[0];
        Assert.Equal(64 * 1024 * 1024, c.GetProperty("HostConfig").GetProperty("Memory").GetInt64());
        Assert.Equal("USR1", c.GetProperty("Config").GetProperty("StopSignal").GetString());
        Assert.Equal(3, c.GetProperty("Config").GetProperty("StopTimeout").GetInt32());
        Assert.Equal("host", c.GetProperty("HostConfig").GetProperty("NetworkMode").GetString());
        // --network none: a namespace of its own holding only loopback; the host has more interfaces than that.
        static string[] Interfaces(string procNetDev) => [.. procNetDev.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).Select(l => l.Split(':', 2)[0].Trim()).Order()];
        string[] hostInterfaces = Interfaces(File.ReadAllText("/proc/net/dev"));
        Assert.True(hostInterfaces.Length > 1 && hostInterfaces.Contains("lo"), string.Join(' ', hostInterfaces));
        Assert.Equal(["lo"], Interfaces(s.Ok("run", "--rm", "--network", "none", "busybox", "cat", "/proc/net/dev")));
        // --network host sees the host's interfaces (others' containers may add or remove veths meanwhile).
        string[] inHost = Interfaces(s.Ok("run", "--rm", "--network", "host", "busybox", "cat", "/proc/net/dev"));
        string[] hostAfter = Interfaces(File.ReadAllText("/proc/net/dev"));
        Assert.Subset(inHost.ToHashSet(), hostInterfaces.Intersect(hostAfter).ToHashSet());
        Assert.Superset(inHost.ToHashSet(), hostInterfaces.Union(hostAfter).ToHashSet());
    }

    [Fact]
    public void ExecJoinsTheRunningContainer()
    {
        // exec must land in the container's namespaces, root, cgroup and user, with docker's exit codes.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "target", "--hostname", "target", "busybox", "sleep", "100");
        Assert.Equal("target 1\n", s.Ok("exec", "target", "sh", "-c", "echo $(hostname) $(pidof sleep)"));
        Assert.Equal("/tmp app x\n", s.Ok("exec", "-u", "app", "-w", "/tmp", "-e", "X=x", "target", "sh", "-c", "echo $(pwd) $(id -un) $X"));
        Assert.Equal(7, s.Run("exec", "target", "sh", "-c", "exit 7").ExitCode);
        Assert.Equal(127, s.Run("exec", "target", "nosuchcommand").ExitCode);
        Assert.Equal(126, s.Run("exec", "target", "/etc/passwd").ExitCode);
        Assert.Equal("in\n", s.RunWithStdin("in\n", "exec", "-i", "target", "cat"));
        Assert.Equal(0, s.Run("exec", "-d", "target", "sh", "-c", "echo detached > /tmp/d").ExitCode);
        Thread.Sleep(500);
        Assert.Equal("detached\n", s.Ok("exec", "target", "cat", "/tmp/d"));

        HostCapabilities.RequireTool("script");
        var tty = Run.Tool("script", ["-qec", $"{s.Berth.CommandLine} exec -it target sh -c 'tty; exit 3'", "/dev/null"]);
        Assert.Equal(3, tty.ExitCode);
        Assert.Contains("/dev/pts/", tty.Stdout);
        var runTty = Run.Tool("script", ["-qec", $"{s.Berth.CommandLine} run --rm -t busybox sh -c 'tty; stty -a | head -1'", "/dev/null"]);
        Assert.Equal(0, runTty.ExitCode);
        Assert.Contains("/dev/pts/0", runTty.Stdout);
        // Without --rm, what the terminal showed is in the log (as stdout, with the pty's CRLF), and shown too.
        var kept = Run.Tool("script", ["-qec", $"{s.Berth.CommandLine} run --name ttylog -t busybox sh -c 'echo shown-and-logged'", "/dev/null"]);
        Assert.Equal(0, kept.ExitCode);
        Assert.Contains("shown-and-logged", kept.Stdout);
        Assert.Equal("shown-and-logged\r\n", s.Ok("logs", "ttylog"));
        Assert.Equal("ttylog\n", s.Ok("rm", "ttylog"));
        Assert.Equal(1, s.Run("rm", "target").ExitCode);
    }

    [Fact]
    public void VolumeCommands()
    {
        // Volumes outlive containers; rm refuses one in use; prune takes only what nothing uses.
        using var s = new ContainerStore(image);
        Assert.Equal("data\n", s.Ok("volume", "create", "--label", "k=v", "data"));
        Assert.Matches(@"local\s+data", s.Ok("volume", "ls"));
        using (var doc = JsonDocument.Parse(s.Ok("volume", "inspect", "data")))
        {
            var v = doc.RootElement[0];
            Assert.Equal("data", v.GetProperty("Name").GetString());
            Assert.Equal(Path.Combine(s.Root, "volumes", "data", "_data"), v.GetProperty("Mountpoint").GetString());
            Assert.Equal("v", v.GetProperty("Labels").GetProperty("k").GetString());
        }
        s.Ok("create", "--name", "user", "-v", "data:/d", "-v", "/anon", "busybox", "true");
        var rm = s.Run("volume", "rm", "data");
        Assert.Equal(1, rm.ExitCode);
        Assert.Contains("volume is in use", rm.Stderr);
        Assert.Equal(2, s.Ok("volume", "ls", "-q").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        s.Ok("rm", "-v", "user");
        Assert.Equal("data\n", s.Ok("volume", "ls", "-q"));
        s.Ok("volume", "create", "unused");
        Assert.Contains("unused", s.Ok("volume", "prune", "-f", "--all"));
        Assert.Equal("", s.Ok("volume", "ls", "-q"));
        Assert.Equal(1, s.Run("volume", "inspect", "data").ExitCode);
    }
}
