using System.Diagnostics;
using System.Text.Json;
using Berth.Testing;

namespace Berth.Containers.Tests;

/// <summary>docker's container lifecycle against the berth binary: run (attached, detached, --rm), create/start,
/// stop/kill/restart/rm/wait, logs, ps, inspect, top, prune, with docker's output and exit codes.</summary>
[Collection("containers")]
public sealed class LifecycleTests(BusyboxFixture image)
{
    private static JsonElement InspectOne(ContainerStore s, string name)
    {
        using var doc = JsonDocument.Parse(s.Ok("inspect", name));
        return doc.RootElement[0].Clone();
    }

    private static string IdOf(ContainerStore s, string name) => InspectOne(s, name).GetProperty("Id").GetString()!;

    [Fact]
    public void AttachedRunPassesOutputAndExitsWithTheCommandsCode()
    {
        // Scripts rely on `run` behaving like the command itself: its output, its streams, its exit code.
        using var s = new ContainerStore(image);
        var r = s.Run("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("out\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
        Assert.Empty(s.AllIds());

        // Flags after the image belong to the command (docker stops parsing there): -l is not --log-level.
        Assert.Equal("-l x\n", s.Ok("run", "--rm", "busybox", "echo", "-l", "x"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(s.Root, "containers")));
    }

    [Fact]
    public void ContainerWithoutRmKeepsItsLogAndExitStatus()
    {
        // `docker logs` and `ps -a` after an attached run are how people debug a failed container.
        using var s = new ContainerStore(image);
        var r = s.Run("run", "--name", "keep", "busybox", "sh", "-c", "echo one; echo two >&2; exit 4");
        Assert.Equal(4, r.ExitCode);
        var logs = s.Run("logs", "keep");
        Assert.Equal("one\n", logs.Stdout);
        Assert.Equal("two\n", logs.Stderr);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT[\d:.]+Z one\n$", s.Ok("logs", "-t", "keep"));
        var lines = File.ReadAllLines(Directory.GetFiles(Path.Combine(s.Root, "containers"), "*-json.log", SearchOption.AllDirectories)[0]);
        Assert.Equal(2, lines.Length);
        var line = lines.Single(l => l.Contains("one"));
        using (var doc = JsonDocument.Parse(line))
        {
            Assert.Equal("one\n", doc.RootElement.GetProperty("log").GetString());
            Assert.Equal("stdout", doc.RootElement.GetProperty("stream").GetString());
            Assert.True(doc.RootElement.TryGetProperty("time", out _));
        }
        Assert.Contains("Exited (4)", s.Ok("ps", "-a"));
        Assert.DoesNotContain("keep", s.Ok("ps"));
        var state = InspectOne(s, "keep").GetProperty("State");
        Assert.Equal("exited", state.GetProperty("Status").GetString());
        Assert.Equal(4, state.GetProperty("ExitCode").GetInt32());
        Assert.False(state.GetProperty("Running").GetBoolean());
        Assert.Equal("keep\n", s.Ok("rm", "keep"));
        Assert.Equal(1, s.Run("inspect", "keep").ExitCode);
    }

    [Fact]
    public void DetachedContainerSurvivesItsCliAndStopEscalatesToSigkill()
    {
        // -d must return at once and leave the container to its monitor; `stop` must not hang on a PID 1 that
        // ignores SIGTERM (sleep as PID 1 has no handler, so the kernel drops it).
        using var s = new ContainerStore(image);
        var sw = Stopwatch.StartNew();
        var id = s.Ok("run", "-d", "--name", "sleeper", "busybox", "sleep", "100").Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Contains("sleeper", s.Ok("ps"));
        var state = InspectOne(s, "sleeper").GetProperty("State");
        Assert.True(state.GetProperty("Running").GetBoolean());
        var pid = state.GetProperty("Pid").GetInt32();
        Assert.Equal("sleep", File.ReadAllText($"/proc/{pid}/comm").Trim());
        Assert.Contains("sleep 100", s.Ok("top", "sleeper"));
        // ps options pass through as with dockerd, columns as docker's CLI lays them out (min width 20, padding 3).
        var top = s.Ok("top", "sleeper", "-o", "pid,comm").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["PID                 COMMAND", $"{pid,-20}sleep"], top);
        var noPid = s.Run("top", "sleeper", "-o", "comm");
        noPid.AssertExit(1, "Couldn't find PID field in ps output");

        sw.Restart();
        Assert.Equal("sleeper\n", s.Ok("stop", "-t", "1", "sleeper"));
        Assert.InRange(sw.Elapsed.TotalSeconds, 0.9, 15);
        Assert.Contains("Exited (137)", s.Ok("ps", "-a", "--filter", "name=sleeper"));
        Assert.Equal("137\n", s.Ok("wait", "sleeper"));
        s.AssertClean([id]);

        // start (detached again) and restart
        Assert.Equal("sleeper\n", s.Ok("start", "sleeper"));
        Assert.Contains("Up", s.Ok("ps", "--format", "{{.Status}}"));
        var before = InspectOne(s, "sleeper").GetProperty("State").GetProperty("Pid").GetInt32();
        Assert.Equal("sleeper\n", s.Ok("restart", "-t", "0", "sleeper"));
        var restarted = InspectOne(s, "sleeper");
        Assert.True(restarted.GetProperty("State").GetProperty("Running").GetBoolean());
        Assert.NotEqual(before, restarted.GetProperty("State").GetProperty("Pid").GetInt32());
        // docker counts only a restart policy's restarts, not a manual one.
        Assert.Equal(0, restarted.GetProperty("RestartCount").GetInt32());
        Assert.Equal("sleeper\n", s.Ok("rm", "-f", "sleeper"));
        s.AssertClean([id]);
    }

    [Fact]
    public void KillSendsTheSignalAndWaitReturnsTheCode()
    {
        // A trap in the container sees the signal `kill -s` names; `wait` reports how it ended.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "trap", "busybox", "sh", "-c", "trap 'exit 5' TERM; echo ready; while true; do sleep 0.1; done");
        s.Berth.WaitForLog("trap", "ready");
        Assert.Equal("trap\n", s.Ok("kill", "-s", "TERM", "trap"));
        Assert.Equal("5\n", s.Ok("wait", "trap"));
        var notRunning = s.Run("kill", "trap");
        Assert.Equal(1, notRunning.ExitCode);
        Assert.Contains("is not running", notRunning.Stderr);
    }

    [Fact]
    public void RmRefusesARunningContainerUnlessForced()
    {
        // Removing a running container by accident loses work: docker requires -f.
        using var s = new ContainerStore(image);
        var id = s.Ok("run", "-d", "busybox", "sleep", "100").Trim();
        var r = s.Run("rm", id[..12]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("You cannot remove a running container", r.Stderr);
        Assert.Equal(id[..12] + "\n", s.Ok("rm", "-f", id[..12]));
        Assert.Empty(s.AllIds());
        s.AssertClean([id]);
        Assert.Equal(1, s.Run("rm", "nosuch").ExitCode);
        Assert.Equal(0, s.Run("rm", "-f", "nosuch").ExitCode);
    }

    [Fact]
    public void LogsFollowStreamsUntilTheContainerExits()
    {
        // `logs -f` is how people watch a detached container; it must see lines written after it started.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "--name", "ticker", "busybox", "sh", "-c", "for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.3; done");
        var r = s.Run("logs", "-f", "ticker");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(string.Concat(Enumerable.Range(1, 6).Select(i => $"tick {i}\n")), r.Stdout);
        Assert.Equal("tick 6\n", s.Ok("logs", "--tail", "1", "ticker"));
        Assert.Equal("", s.Ok("logs", "--since", "2099-01-01T00:00:00Z", "ticker"));
    }

    [Fact]
    public void CreateThenStartAttachedAndPsFormats()
    {
        // create/start split is what compose-like tools use; ps formats are what scripts parse.
        using var s = new ContainerStore(image);
        var id = s.Ok("create", "--name", "later", "--label", "app=web", "busybox", "sh", "-c", "echo started; echo 12345678 > /tmp/f; exit 2").Trim();
        Assert.Contains("Created", s.Ok("ps", "-a"));
        Assert.Equal(id + "\n", s.Ok("ps", "-aq", "--no-trunc"));
        Assert.Equal(id[..12] + "\n", s.Ok("ps", "-aq", "--filter", "label=app=web"));
        Assert.Equal("", s.Ok("ps", "-aq", "--filter", "label=app=db"));
        Assert.Equal("", s.Ok("ps", "-q"));
        var r = s.Run("start", "-a", "later");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("started\n", r.Stdout);
        using (var doc = JsonDocument.Parse(s.Ok("ps", "-a", "--format", "json").Trim()))
        {
            Assert.Equal("later", doc.RootElement.GetProperty("Names").GetString());
            Assert.Equal("exited", doc.RootElement.GetProperty("State").GetString());
        }
        Assert.Equal("later exited\n", s.Ok("ps", "-a", "--format", "{{.Names}} {{.State}}"));
        Assert.Equal("exited 2 /later\n", s.Ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.Name}}", "later"));
        Assert.Equal("web\n", s.Ok("inspect", "-f", "{{.Config.Labels.app}}", "later"));
        Assert.Equal("web app=web;\n", s.Ok("inspect", "-f", "{{index .Config.Labels \"app\"}} {{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "later"));
        Assert.Equal("later|web\n", s.Ok("ps", "-a", "--format", "{{.Names}}|{{.Label \"app\"}}"));
        var badTemplate = s.Run("inspect", "-f", "{{.State.Nope}}", "later");
        Assert.True(badTemplate.ExitCode == 1 && badTemplate.Stderr.Contains("map has no entry for key \"Nope\""), badTemplate.ToString());
        Assert.Equal(64, s.Run("inspect", "-f", "{{.Name", "later").ExitCode);
        // exec into a stopped or missing container is refused as docker's daemon refuses it: exit 1.
        var execStopped = s.Run("exec", "later", "true");
        Assert.True(execStopped.ExitCode == 1 && execStopped.Stderr.Contains("is not running"), execStopped.ToString());
        Assert.Equal(1, s.Run("exec", "nosuchcontainer", "true").ExitCode);
        // inspect falls through to images
        Assert.StartsWith("sha256:", s.Ok("inspect", "-f", "{{.Id}}", "busybox"));
        // rmi refuses an image a container uses
        var rmi = s.Run("rmi", "busybox").AssertExit(1, "conflict: unable to remove repository reference \"busybox\"");
        Assert.Contains(id, rmi.Stderr);
        var prune = s.Ok("container", "prune", "-f");
        Assert.Contains(id, prune);
        Assert.EndsWith("Total reclaimed space: 9B\n", prune); // the writable layer's /tmp/f
        Assert.Empty(s.AllIds());
        s.AssertClean([id]);
    }

    [Fact]
    public void BadInputFailsWithDockersCodesAndLeavesNothingBehind()
    {
        // 125 is berth's failure, 126 a command that cannot be executed, 127 one that does not exist: scripts tell
        // them apart, and a failed run must leave no mount, cgroup or state.
        using var s = new ContainerStore(image);
        var unknown = s.Run("run", "--rm", "nosuchimage");
        Assert.Equal(125, unknown.ExitCode);
        Assert.Contains("Unable to find image 'nosuchimage:latest' locally", unknown.Stderr);
        var badUser = s.Run("run", "--rm", "-u", "nobodyhere", "busybox", "true");
        Assert.Equal(125, badUser.ExitCode);
        Assert.Contains("nobodyhere", badUser.Stderr);
        var missing = s.Run("run", "--rm", "busybox", "/no/such/command");
        Assert.Equal(127, missing.ExitCode);
        Assert.Contains("no such file or directory", missing.Stderr);
        var notInPath = s.Run("run", "--rm", "busybox", "nosuchcommand");
        Assert.Equal(127, notInPath.ExitCode);
        var notExecutable = s.Run("run", "--rm", "busybox", "/etc/passwd");
        Assert.Equal(126, notExecutable.ExitCode);
        var badMount = s.Run("run", "--rm", "--mount", "type=bind,source=/no/such/dir,target=/x", "busybox", "true");
        Assert.Equal(125, badMount.ExitCode);
        Assert.Contains("bind source path does not exist", badMount.Stderr);
        var badFlag = s.Run("run", "--rm", "--nosuchflag", "busybox");
        Assert.Equal(125, badFlag.ExitCode);
        var badProfile = Path.Combine(s.Root, "bad-profile.json");
        File.WriteAllText(badProfile, "{\n  \"defaultAction\": ");
        var badSeccomp = s.Run("run", "--rm", "--security-opt", $"seccomp={badProfile}", "busybox", "true");
        Assert.Equal(125, badSeccomp.ExitCode);
        // In words, with where: not a resource key such as "ZeroDepthAtEnd".
        Assert.Contains("seccomp profile", badSeccomp.Stderr);
        Assert.Contains("LineNumber: 1", badSeccomp.Stderr);
        Assert.DoesNotMatch(@"\b[A-Z][a-z]+[A-Z][A-Za-z]*(AtEnd|NotFound)\b", badSeccomp.Stderr);
        var badSignal = s.Run("run", "--rm", "--stop-signal", "FOO", "busybox", "true");
        Assert.Equal(125, badSignal.ExitCode);
        Assert.Contains("Invalid signal: FOO", badSignal.Stderr);
        var detachedMissing = s.Run("run", "-d", "--rm", "busybox", "nosuchcommand");
        Assert.Equal(127, detachedMissing.ExitCode);
        Assert.Empty(s.AllIds());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(s.Root, "containers")));
        s.AssertClean([]);

        // Without --rm, docker keeps the container that failed to start, with the code.
        Assert.Equal(127, s.Run("run", "--name", "failed", "busybox", "nosuchcommand").ExitCode);
        Assert.Equal(127, InspectOne(s, "failed").GetProperty("State").GetProperty("ExitCode").GetInt32());
    }

    [Fact]
    public void CtrlCStopsAnAttachedContainer()
    {
        // An attached `run` is the container's terminal: Ctrl-C must end it, even when PID 1 ignores SIGINT.
        using var s = new ContainerStore(image);
        using var p = s.Start("run", "--name", "interrupted", "busybox", "sleep", "100");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!s.Ok("ps").Contains("interrupted") && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Thread.Sleep(300);
        Process.Start("kill", ["-INT", p.Id.ToString()])!.WaitForExit();
        Assert.True(p.WaitForExit(15_000), "berth run did not end after SIGINT");
        // sleep as PID 1 ignores SIGINT, so berth kills it, and run exits with the container's status: 128 + SIGKILL.
        Assert.Equal(137, p.ExitCode);
        Assert.Contains("Exited", s.Ok("ps", "-a", "--filter", "name=interrupted"));
    }

    [Fact]
    public void PsIsRightAfterTheMonitorDies()
    {
        // The monitor can be killed (OOM killer, admin); the container must run on and ps must tell the truth.
        using var s = new ContainerStore(image);
        var id = s.Ok("run", "-d", "--name", "orphan", "busybox", "sleep", "100").Trim();
        // The monitor is the init's parent (it keeps its PID when it re-executes itself; its command line changes then).
        var pid = InspectOne(s, "orphan").GetProperty("State").GetProperty("Pid").GetInt32();
        var monitor = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("PPid:", StringComparison.Ordinal))["PPid:".Length..].Trim();
        Assert.Contains($"monitor\0{s.Root}\0{id}", File.ReadAllText($"/proc/{monitor}/cmdline"));
        Process.Start("kill", ["-9", monitor!])!.WaitForExit();
        Thread.Sleep(300);
        Assert.Contains("orphan", s.Ok("ps"));
        Assert.Equal("orphan\n", s.Ok("kill", "orphan"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (s.Ok("ps").Contains("orphan") && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Assert.DoesNotContain("orphan", s.Ok("ps"));
        Assert.Contains("Exited (255)", s.Ok("ps", "-a"));
        s.AssertClean([id]);
    }

    [Fact]
    public void InspectHasDockersFieldsInDockersOrder()
    {
        // Templates fail on a missing key, as docker's do: every field docker 20.10's inspect prints must be there.
        // The key lists are docker's, printed by `docker inspect` for a container and an image on this machine.
        using var s = new ContainerStore(image);
        s.Ok("create", "--name", "shape", "--cap-add", "net_admin", "busybox", "true");
        using var doc = JsonDocument.Parse(s.Ok("inspect", "shape"));
        var c = doc.RootElement[0];
        static string[] Keys(JsonElement e) => e.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath", "HostnamePath", "HostsPath", "LogPath", "Name",
            "RestartCount", "Driver", "Platform", "MountLabel", "ProcessLabel", "AppArmorProfile", "ExecIDs", "HostConfig", "GraphDriver",
            "Mounts", "Config", "NetworkSettings"], Keys(c));
        Assert.Equal(["Binds", "ContainerIDFile", "LogConfig", "NetworkMode", "PortBindings", "RestartPolicy", "AutoRemove", "VolumeDriver",
            "VolumesFrom", "CapAdd", "CapDrop", "CgroupnsMode", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "GroupAdd", "IpcMode", "Cgroup",
            "Links", "OomScoreAdj", "PidMode", "Privileged", "PublishAllPorts", "ReadonlyRootfs", "SecurityOpt", "Tmpfs", "UTSMode", "UsernsMode",
            "ShmSize", "Runtime", "ConsoleSize", "Isolation", "CpuShares", "Memory", "NanoCpus", "CgroupParent", "BlkioWeight", "BlkioWeightDevice",
            "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "CpuPeriod", "CpuQuota",
            "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems", "Devices", "DeviceCgroupRules", "DeviceRequests",
            "KernelMemory", "KernelMemoryTCP", "MemoryReservation", "MemorySwap", "MemorySwappiness", "OomKillDisable", "PidsLimit", "Ulimits",
            "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth", "MaskedPaths", "ReadonlyPaths"], Keys(c.GetProperty("HostConfig")));
        Assert.Equal(["Bridge", "SandboxID", "HairpinMode", "LinkLocalIPv6Address", "LinkLocalIPv6PrefixLen", "Ports", "SandboxKey",
            "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID", "Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPAddress",
            "IPPrefixLen", "IPv6Gateway", "MacAddress", "Networks"], Keys(c.GetProperty("NetworkSettings")));
        Assert.Equal("no [CAP_NET_ADMIN] \n", s.Ok("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.CapAdd}} {{.NetworkSettings.IPAddress}}", "shape"));
        using var img = JsonDocument.Parse(s.Ok("image", "inspect", "busybox"));
        var config = Keys(img.RootElement[0].GetProperty("Config")).Where(k => k is not ("ExposedPorts" or "Healthcheck" or "ArgsEscaped" or "StopSignal" or "Shell"));
        Assert.Equal(["Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce", "Env",
            "Cmd", "Image", "Volumes", "WorkingDir", "Entrypoint", "OnBuild", "Labels"], config);
        s.Ok("rm", "shape");
    }

    [Fact]
    public void RestartPoliciesRestartUntilStoppedOrOutOfRetries()
    {
        // --restart on-failure:N restarts a failing container N times; always restarts until a user stops it; an
        // attached run returns its code and leaves the restart to a monitor. Back-off as docker: 100 ms, doubling.
        using var s = new ContainerStore(image);
        var failing = s.Ok("run", "-d", "--name", "failing", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3").Trim();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (s.Ok("logs", "failing") != "run\nrun\nrun\n" && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Thread.Sleep(1000);
        Assert.Equal("run\nrun\nrun\n", s.Ok("logs", "failing"));
        Assert.Equal("2 exited 3 on-failure:2\n", s.Ok("inspect", "-f",
            "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}", "failing"));

        s.Ok("run", "-d", "--name", "forever", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2");
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (InspectOne(s, "forever").GetProperty("RestartCount").GetInt32() < 2 && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Assert.True(InspectOne(s, "forever").GetProperty("RestartCount").GetInt32() >= 2);
        s.Ok("stop", "-t", "0", "forever");
        var stopped = InspectOne(s, "forever").GetProperty("RestartCount").GetInt32();
        Thread.Sleep(1500);
        Assert.Equal(stopped, InspectOne(s, "forever").GetProperty("RestartCount").GetInt32());
        Assert.Contains("Exited", s.Ok("ps", "-a", "--filter", "name=forever", "--format", "{{.Status}}"));

        var attached = s.Run("run", "--name", "attached", "--restart", "on-failure:1", "busybox", "sh", "-c", "echo once; exit 4");
        Assert.Equal(4, attached.ExitCode);
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (s.Ok("logs", "attached") != "once\nonce\n" && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Assert.Equal("once\nonce\n", s.Ok("logs", "attached"));

        var conflict = s.Run("run", "--rm", "--restart", "always", "busybox", "true");
        Assert.True(conflict.ExitCode == 125 && conflict.Stderr.Contains("Conflicting options: --restart and --rm"), conflict.ToString());
        Assert.Equal(125, s.Run("run", "--restart", "sometimes", "busybox", "true").ExitCode);
        Thread.Sleep(500);
        s.Ok("rm", "-f", "failing", "forever", "attached");
        s.AssertClean([failing]);
    }

    [Fact]
    public void AttachJoinsADetachedContainersStreams()
    {
        // run -d -i keeps stdin open for attach; attach gets the output from then on (stdout and stderr apart), feeds
        // stdin, returns the exit code; a terminal attach detaches on Ctrl-P Ctrl-Q and the container runs on.
        using var s = new ContainerStore(image);
        s.Ok("run", "-d", "-i", "--name", "reader", "busybox", "sh", "-c", "read x; echo \"got $x\"; echo err >&2; exit 5");
        var readerPid = InspectOne(s, "reader").GetProperty("State").GetProperty("Pid").GetInt32();
        var monitor = File.ReadAllLines($"/proc/{readerPid}/status").First(l => l.StartsWith("PPid:", StringComparison.Ordinal))["PPid:".Length..].Trim();
        var attached = s.RunWithStdinResult("hello\n", "attach", "reader");
        Assert.Equal(5, attached.ExitCode);
        // The monitor ends once its container has: closing an attached client must not hold it (it once spun).
        var gone = DateTime.UtcNow.AddSeconds(10);
        while (Directory.Exists($"/proc/{monitor}") && DateTime.UtcNow < gone) Thread.Sleep(50);
        Assert.False(Directory.Exists($"/proc/{monitor}"), "the monitor outlived its container");
        Assert.Equal("got hello\n", attached.Stdout);
        Assert.Equal("err\n", attached.Stderr);
        Assert.Equal("got hello\n", s.Ok("logs", "reader").Split("err")[0]);

        // The container speaks only once the attach is connected (its monitor holds the listener, the client's
        // wait for the exit code and its attach): readiness, not a sleep that a loaded machine outlasts.
        s.Ok("run", "-d", "--name", "talker", "busybox", "sh", "-c", "until [ -e /tmp/go ]; do sleep 0.05; done; echo late; exit 3");
        var talkerPid = InspectOne(s, "talker").GetProperty("State").GetProperty("Pid").GetInt32();
        var talkerMonitor = File.ReadAllLines($"/proc/{talkerPid}/status").First(l => l.StartsWith("PPid:", StringComparison.Ordinal))["PPid:".Length..].Trim();
        using (var follow = s.Start("attach", "talker"))
        {
            int Sockets() => Directory.EnumerateFileSystemEntries($"/proc/{talkerMonitor}/fd")
                .Count(f => new FileInfo(f).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true);
            var connected = DateTime.UtcNow.AddSeconds(30);
            while (Sockets() < 3 && DateTime.UtcNow < connected) Thread.Sleep(20);
            Assert.True(Sockets() >= 3, "attach never connected to the monitor");
            s.Ok("exec", "talker", "touch", "/tmp/go");
            Assert.Equal("late", follow.StandardOutput.ReadLine());
            Assert.True(follow.WaitForExit(TimeSpan.FromSeconds(30)), "attach did not end with its container");
            Assert.Equal(3, follow.ExitCode);
            Assert.Null(follow.StandardOutput.ReadLine());
        }
        var stopped = s.Run("attach", "talker");
        Assert.True(stopped.ExitCode == 1 && stopped.Stderr.Contains("You cannot attach to a stopped container"), stopped.ToString());

        HostCapabilities.RequireTool("script");
        s.Ok("run", "-dit", "--name", "shell", "busybox", "sh");
        var detach = Run.Tool("/bin/sh", ["-c", $"(sleep 1; printf '\\020\\021'; sleep 1) | script -qec '{s.Berth.CommandLine} attach shell; echo rc=$?' /dev/null"]);
        // As docker: attach says how it ended and exits 1.
        Assert.Contains("read escape sequence", detach.Stdout);
        Assert.Contains("rc=1", detach.Stdout);
        Assert.True(InspectOne(s, "shell").GetProperty("State").GetProperty("Running").GetBoolean());
        var ids = s.AllIds();
        Assert.All(ids, id => Assert.True(File.Exists(s.AttachSocketOf(id)) == (id == IdOf(s, "shell")), id)); // only the running one serves
        s.Ok("rm", "-f", "reader", "talker", "shell");
        s.AssertClean(ids); // no socket, mount, cgroup or state left
    }

    [Fact]
    public void PsOrderFiltersSizesAndLogDecorations()
    {
        // ps -l/-n, before=/since= (by creation), -s (writable layer and image), logs -t (nine fraction digits, as
        // docker prints them) and --details.
        using var s = new ContainerStore(image);
        s.Ok("run", "--name", "first", "busybox", "sh", "-c", "echo one");
        s.Ok("run", "--name", "second", "busybox", "sh", "-c", "echo 12345 > /f");
        s.Ok("run", "--name", "third", "busybox", "true");
        Assert.Equal("third\n", s.Ok("ps", "-l", "--format", "{{.Names}}"));
        Assert.Equal("third\nsecond\n", s.Ok("ps", "-n", "2", "--format", "{{.Names}}"));
        Assert.Equal("first\n", s.Ok("ps", "-a", "--filter", "before=second", "--format", "{{.Names}}"));
        Assert.Equal("third\n", s.Ok("ps", "-a", "--filter", "since=second", "--format", "{{.Names}}"));
        var sizes = s.Ok("ps", "-a", "-s", "--filter", "name=second");
        Assert.Contains("SIZE", sizes.Split('\n')[0]);
        Assert.Matches(@"second\s+6B \(virtual [0-9.]+[kM]B\)", sizes);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n$", s.Ok("logs", "-t", "first"));
        Assert.Equal(" one\n", s.Ok("logs", "--details", "first"));
        s.Ok("rm", "first", "second", "third");
    }

    [Fact]
    public void TheIdleMonitorIsAFreshImageHoldingOnlyTheLogAndTheOutput()
    {
        // After starting the container the monitor re-executes itself to shed its start-up memory: same PID (still
        // the init's parent), nothing of the start left open — no database, no sync socket, no cgroup file.
        using var s = new ContainerStore(image);
        var id = s.Ok("run", "-d", "--name", "watched", "busybox", "sh", "-c", "echo before; sleep 100").Trim();
        var pid = InspectOne(s, "watched").GetProperty("State").GetProperty("Pid").GetInt32();
        var monitor = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("PPid:", StringComparison.Ordinal))["PPid:".Length..].Trim();
        var cmdline = File.ReadAllText($"/proc/{monitor}/cmdline").Split('\0');
        Assert.Equal(["monitor", s.Root, id, "watch"], cmdline[1..5]);
        var logPath = InspectOne(s, "watched").GetProperty("LogPath").GetString()!;
        var targets = Directory.EnumerateFileSystemEntries($"/proc/{monitor}/fd").Select(fd => new FileInfo(fd).LinkTarget ?? "").ToList();
        Assert.Contains(logPath, targets);
        // The read ends of the container's stdout and stderr.
        Assert.Contains(new FileInfo($"/proc/{pid}/fd/1").LinkTarget, targets);
        Assert.Contains(new FileInfo($"/proc/{pid}/fd/2").LinkTarget, targets);
        Assert.DoesNotContain(targets, t => t.StartsWith("/sys/", StringComparison.Ordinal)
            || t.Contains("metadata", StringComparison.Ordinal) || t.StartsWith(s.Berth.StateDir, StringComparison.Ordinal));
        // One socket only: the attach listener (no sync socket of the start is left).
        var sockets = targets.Where(t => t.StartsWith("socket:[", StringComparison.Ordinal)).Select(t => t[8..^1]).ToList();
        var attachSocket = File.ReadAllLines("/proc/net/unix").Where(l => l.EndsWith($"/{id}.sock", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[6]).ToList();
        Assert.Equal(attachSocket, sockets);
        // The watch still logs, and records the exit.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!s.Ok("logs", "watched").Contains("before") && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.Equal("before\n", s.Ok("logs", "watched"));
        s.Ok("kill", "watched");
        Assert.Equal("137\n", s.Ok("wait", "watched"));
        Assert.Contains("Exited (137)", s.Ok("ps", "-a"));
        s.Ok("rm", "watched");
        s.AssertClean([id]);
    }

    [Fact]
    public void ContainerAndExecProcessesAreInTheContainersCgroupInEveryHierarchy()
    {
        // The init is born inside (v1: its spawning thread moves itself first; v2: one cgroup.procs write before it
        // may go on), so limits and `ps`/`top` cover every process; an exec'd process joins the same cgroups.
        using var s = new ContainerStore(image);
        var id = s.Ok("run", "-d", "--name", "member", "busybox", "sleep", "100").Trim();
        var pid = InspectOne(s, "member").GetProperty("State").GetProperty("Pid").GetInt32();
        void AssertInside(string procCgroup)
        {
            var lines = procCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.NotEmpty(lines);
            foreach (var line in lines) Assert.EndsWith($"{s.Berth.CgroupParent}/{id}", line);
            var hierarchies = File.ReadAllText("/proc/self/cgroup").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            Assert.Equal(hierarchies, lines.Length);
        }
        AssertInside(File.ReadAllText($"/proc/{pid}/cgroup"));

        using var exec = s.Start("exec", "member", "sleep", "50");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        int? execPid = null;
        while (execPid is null && DateTime.UtcNow < deadline)
        {
            execPid = Directory.EnumerateDirectories("/proc").Select(d => Path.GetFileName(d)!).Where(n => n.All(char.IsAsciiDigit)).Select(n => int.Parse(n, System.Globalization.CultureInfo.InvariantCulture))
                .Where(p => p != pid).FirstOrDefault(p =>
                {
                    try { return File.ReadAllText($"/proc/{p}/cmdline") == "sleep\050\0"; } catch (IOException) { return false; }
                }) is var found and > 0 ? found : null;
            if (execPid is null) Thread.Sleep(50);
        }
        Assert.NotNull(execPid);
        AssertInside(File.ReadAllText($"/proc/{execPid}/cgroup"));
        Assert.Equal("member\n", s.Ok("rm", "-f", "member"));
        exec.WaitForExit(10_000);
        s.AssertClean([id]);
    }

    [Fact]
    public void StopSignalFlagChoosesTheSignal()
    {
        // `stop -s USR1` sends USR1 instead of the stop signal; a container that exits on it stops at once, with its
        // own code, long before the timeout.
        using var s = new ContainerStore(image);
        var id = s.Ok("run", "-d", "--name", "usr1", "busybox", "sh", "-c", "trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; done").Trim();
        s.Berth.WaitForLog("usr1", "ready");
        var sw = Stopwatch.StartNew();
        Assert.Equal("usr1\n", s.Ok("stop", "-s", "USR1", "-t", "20", "usr1"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"stop took {sw.Elapsed}");
        Assert.Equal("42\n", s.Ok("wait", "usr1"));
        Assert.Equal(1, s.Run("stop", "-s", "NOSUCHSIG", "usr1").ExitCode);
        Assert.Equal("usr1\n", s.Ok("rm", "usr1"));
        s.AssertClean([id]);
    }
}
