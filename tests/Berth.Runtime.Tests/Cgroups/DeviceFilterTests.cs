using Berth.Runtime.Cgroups;
using Berth.Runtime.Cgroups.V2;
using Berth.Runtime.Spec;
using Berth.Testing;

namespace Berth.Runtime.Tests.Cgroups;

/// <summary>cgroup v2's device rules (an eBPF program), checked for real: this host's v2 hierarchy (pure, or the
/// hybrid "unified" one — the kernel asks the program there too) with a process inside.</summary>
public sealed class DeviceFilterTests
{
    private static string NewV2Cgroup()
    {
        HostCapabilities.RequireRoot();
        var v2 = CgroupLayout.Detect().Hierarchies.FirstOrDefault(h => h.FsType == "cgroup2");
        HostCapabilities.Require(v2 is not null, "needs a cgroup v2 hierarchy");
        var dir = Path.Combine(v2!.MountPoint, "berth-devtest-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void OnlyTheAllowedDevicesOpenInsideTheCgroup()
    {
        // Deny everything, then allow /dev/null (c 1:3): a process in the cgroup opens /dev/null and not /dev/zero.
        var dir = NewV2Cgroup();
        try
        {
            DeviceFilter.Apply([
                new LinuxDeviceCgroup { Allow = false, Access = "rwm" },
                new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },
            ], dir);
            var r = Run.Tool("/bin/sh", ["-c", $"echo $$ > {dir}/cgroup.procs && head -c1 /dev/null; echo null=$?; head -c1 /dev/zero > /dev/null 2>&1; echo zero=$?"]);
            Assert.Contains("null=0", r.Stdout);
            Assert.Matches("zero=[1-9]", r.Stdout);
            // Outside the cgroup nothing changed.
            Assert.Contains("zero=0", Run.Tool("/bin/sh", ["-c", "head -c1 /dev/zero > /dev/null; echo zero=$?"]).Stdout);
        }
        finally
        {
            RemoveWhenEmpty(dir);
        }
    }

    [Fact]
    public void DockersDefaultRulesPassTheVerifier()
    {
        // The rules every container gets (deny all, then the standard nodes, mknod of any char/block) must load.
        var spec = SpecGenerator.Generate("c", new Oci.ContainerConfig { Cmd = ["sh"] }, new RunOptions(), SpecHost.Detect());
        var rules = spec.Linux!.Resources!.Devices!;
        Assert.True(rules.Count > 3);
        var dir = NewV2Cgroup();
        try
        {
            DeviceFilter.Apply(rules, dir);
            // /dev/kmsg (c 1:11) and /dev/loop0 (b 7:0) open on this host; Docker's rules allow neither.
            const string probe = "( : < /dev/zero ) 2>/dev/null; echo zero=$?; ( : < /dev/kmsg ) 2>/dev/null; echo kmsg=$?; ( : < /dev/loop0 ) 2>/dev/null; echo loop=$?";
            Assert.Contains("kmsg=0", Run.Tool("/bin/sh", ["-c", probe]).Stdout);
            var r = Run.Tool("/bin/sh", ["-c", $"echo $$ > {dir}/cgroup.procs && {{ {probe}; }}"]);
            Assert.Contains("zero=0", r.Stdout);
            Assert.Matches("kmsg=[1-9]", r.Stdout);
            Assert.Matches("loop=[1-9]", r.Stdout);
        }
        finally
        {
            RemoveWhenEmpty(dir);
        }
    }

    private static void RemoveWhenEmpty(string dir)
    {
        for (var i = 0; i < 100 && Directory.Exists(dir); i++)
        {
            try { Directory.Delete(dir); } catch (IOException) { Thread.Sleep(20); }
        }
    }
}
