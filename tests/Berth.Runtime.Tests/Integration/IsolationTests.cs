using Berth.Runtime.Spec;
using Berth.Runtime.Tests.Support;
using Berth.Testing;

namespace Berth.Runtime.Tests.Integration;

/// <summary>A busybox container run by <c>berth runtime run</c> is isolated as Docker isolates one, and runc,
/// given the same bundle, answers the same.</summary>
[Collection("containers")]
public sealed class IsolationTests(RuntimeFixture fx)
{
    private Dictionary<string, string> RunProbe(RunOptions options, out string raw)
    {
        fx.Require();
        var id = fx.NextId("probe");
        using var bundle = fx.Bundle(id, options with { Command = ["sh", "-c", Probes.Script] });
        var r = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(r.ExitCode == 0, r.ToString());
        fx.AssertClean(bundle.Path);
        raw = r.ToString();
        return Probes.Parse(r.Stdout);
    }

    [Fact]
    public void DefaultContainerIsIsolatedAsDocker()
    {
        // Each line is one isolation property from the list.
        var p = RunProbe(new RunOptions { Hostname = "probe-host" }, out var raw);
        Assert.True(p.Count > 30, raw);
        Assert.Equal("1", p["self"]);                               // PID 1 is the command
        Assert.StartsWith("sh -c", p["pid1"]);
        Assert.Equal("probe-host", p["hostname"]);                  // hostname differs from the host's
        Assert.NotEqual(Environment.MachineName, p["hostname"]);
        Assert.Equal("00000000a80425fb", p["capeff"]);              // Docker's 14 capabilities
        Assert.Equal("00000000a80425fb", p["capprm"]);
        Assert.Equal("00000000a80425fb", p["capbnd"]);
        Assert.Equal("0000000000000000", p["capinh"]);
        Assert.Equal("0000000000000000", p["capamb"]);
        Assert.Equal("2", p["seccomp"]);                            // a seccomp filter
        Assert.Equal("0", p["nnp"]);                                // Docker's default: no no_new_privs
        Assert.Equal("0", p["hostprocs"]);                          // no host processes
        Assert.True(int.Parse(p["procs"], System.Globalization.CultureInfo.InvariantCulture) < 8, raw);
        Assert.Equal("0", p["hostmounts"]);                         // no host mounts
        Assert.Equal("1", p["rootmounts"]);
        Assert.Equal("0", p["kcore"]);                              // masked paths read nothing
        Assert.Equal("0", p["keys"]);
        Assert.Equal("0", p["timer_list"]);
        Assert.Equal("0", p["acpi"]);
        Assert.Equal("0", p["firmware"]);
        Assert.Equal("readonly", p["procsys"]);                     // /proc/sys read-only
        Assert.Equal("readonly", p["sysfs"]);
        Assert.Equal("readonly", p["cgroupfs"]);                    // CVE-2022-0492
        Assert.Equal("denied", p["unshare"]);                       // seccomp + no CAP_SYS_ADMIN
        Assert.Equal("denied", p["unshare_mnt"]);
        Assert.Equal("denied", p["mount"]);
        Assert.Equal("denied", p["nsenter"]);
        Assert.NotEqual("readable", p["mknod"]);                    // device cgroup: mknod maybe, open never
        Assert.Equal("0 1 2 3", p["fds"]);                          // no leaked descriptors (3 is ls's own)
        Assert.Equal("fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero", p["dev"]);
        Assert.Equal("lo", p["net"]);                               // a new, empty network namespace
        Assert.Equal("/", p["cgroupns"]);                           // its own cgroup namespace
        Assert.Equal("1024", p["nofile"]);
        Assert.Equal("uid=0(root) gid=0(root) groups=0(root)", p["id"]);
    }

    [Fact]
    public void NoNewPrivilegesIsSetWhenAsked()
    {
        // --security-opt no-new-privileges: NoNewPrivs 1, and seccomp still loads (after it, as runc).
        var p = RunProbe(new RunOptions { NoNewPrivileges = true }, out _);
        Assert.Equal("1", p["nnp"]);
        Assert.Equal("2", p["seccomp"]);
    }

    [Fact]
    public void NonRootUserHasNoEffectiveCapabilitiesAndItsGroups()
    {
        // moby TestUserNoEffectiveCapabilities*: CapEff/CapPrm are 0 for --user 1000; groups from /etc/group.
        var p = RunProbe(new RunOptions { User = "user" }, out _);
        Assert.Equal("uid=1000(user) gid=1000(user) groups=100(users),1000(user)", p["id"]);
        Assert.Equal("0000000000000000", p["capeff"]);
        Assert.Equal("0000000000000000", p["capprm"]);
        Assert.Equal("00000000a80425fb", p["capbnd"]);
    }

    [Fact]
    public void DropAllLeavesAnEmptyBoundingSet()
    {
        // --cap-drop ALL.
        var p = RunProbe(new RunOptions { CapDrop = ["ALL"] }, out _);
        Assert.Equal("0000000000000000", p["capbnd"]);
        Assert.Equal("0000000000000000", p["capeff"]);
    }

    [Fact]
    public void HostNetworkSharesTheHostsInterfaces()
    {
        // --network host: the host's interfaces are visible.
        var p = RunProbe(new RunOptions { Network = NetworkMode.Host }, out _);
        var host = File.ReadAllLines("/proc/net/dev").Skip(2).Select(l => l.Split(':')[0].Trim()).Order(StringComparer.Ordinal);
        Assert.Equal(host, p["net"].Split(' ').Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RuncGivesTheSameAnswersForTheSameBundle()
    {
        // The bundle is OCI: runc must accept berth's config.json and isolate identically.
        fx.Require();
        HostCapabilities.RequireTool("runc");
        var id = fx.NextId("same");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["sh", "-c", Probes.Script], NoNewPrivileges = true });
        var ours = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(ours.ExitCode == 0, ours.ToString());
        var theirs = fx.Runc(bundle.Path, id);
        Assert.True(theirs.ExitCode == 0, theirs.ToString());
        var a = Probes.Parse(ours.Stdout);
        var b = Probes.Parse(theirs.Stdout);
        // Two deliberate differences in /sys/fs/cgroup: berth makes the tmpfs holding the hierarchies read-only too
        // (runc 1.1 leaves it rw), and on a hybrid host also mounts the v2 hierarchy ("unified") read-only.
        Assert.Contains(";/sys/fs/cgroup:ro,", ";" + a["mounts"]);
        foreach (var d in new[] { a, b })
        {
            d["mounts"] = string.Join(';', d["mounts"].Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Where(m => !m.StartsWith("/sys/fs/cgroup:", StringComparison.Ordinal) && !m.StartsWith("/sys/fs/cgroup/unified:", StringComparison.Ordinal)));
        }
        // "procs" counts the probe's own short-lived subshells and zombies, which vary run to run; both were < 8.
        foreach (var key in b.Keys.Union(a.Keys).Where(k => k != "procs"))
            Assert.True(a.GetValueOrDefault(key) == b.GetValueOrDefault(key), $"{key}: berth \"{a.GetValueOrDefault(key)}\" runc \"{b.GetValueOrDefault(key)}\"");
        fx.AssertClean(bundle.Path);
    }

    [Fact]
    public void RuncsOwnDefaultSpecRunsAsUnderRunc()
    {
        // `runc spec` denies every device in the cgroup and asks for ambient capabilities without inheritable ones:
        // runc appends the devices every container may use and leaves the ambient set empty, and so must berth.
        fx.Require();
        HostCapabilities.RequireTool("runc");
        var id = fx.NextId("runcspec");
        using var bundle = fx.Bundle(id, new RunOptions { Command = ["true"] });
        File.Delete(Path.Combine(bundle.Path, "config.json"));
        var spec = Run.Tool("runc", ["spec", "--bundle", bundle.Path]);
        Assert.True(spec.ExitCode == 0, spec.ToString());
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(bundle.Path, "config.json")))!;
        json["process"]!["terminal"] = false;
        json["process"]!["args"] = new System.Text.Json.Nodes.JsonArray("sh", "-c",
            "echo x > /dev/null && head -c 1 /dev/zero | wc -c; grep -E '^Cap(Eff|Amb)' /proc/self/status; touch /ro 2>&1 | grep -c Read-only");
        json["linux"]!["cgroupsPath"] = $"{fx.CgroupParent}/{id}";
        File.WriteAllText(Path.Combine(bundle.Path, "config.json"), json.ToJsonString());

        var ours = fx.Cli("run", "--bundle", bundle.Path, id);
        Assert.True(ours.ExitCode == 0, ours.ToString());
        Assert.Equal("1\nCapEff:\t0000000020000420\nCapAmb:\t0000000000000000\n1\n", ours.Stdout);
        json["linux"]!["cgroupsPath"] = $"{fx.CgroupParent}/{id}-runc";
        File.WriteAllText(Path.Combine(bundle.Path, "config.json"), json.ToJsonString());
        var theirs = fx.Runc(bundle.Path, id);
        Assert.True(theirs.ExitCode == 0, theirs.ToString());
        Assert.Equal(theirs.Stdout, ours.Stdout);
        fx.AssertClean(bundle.Path);
    }
}
