using Berth.Runtime.Cgroups;
using Berth.Runtime.Cgroups.V1;
using Berth.Runtime.Cgroups.V2;
using Berth.Runtime.Spec;
using Berth.Testing;

namespace Berth.Runtime.Tests.Cgroups;

/// <summary>The managers against a temporary directory standing in for /sys/fs/cgroup (youki's set_fixture): what
/// each limit writes, to which file, without a kernel.</summary>
public sealed class CgroupManagerTests : IDisposable
{
    private readonly TempDirectory _dir = new("berth-cgroupfs");

    private static readonly LinuxResources Limits = new()
    {
        Memory = new LinuxMemory { Limit = 64 << 20, Swap = 128 << 20 },
        Cpu = new LinuxCpu { Quota = 50_000, Period = 100_000, Shares = 512 },
        Pids = new LinuxPids { Limit = 64 },
    };

    [Fact]
    public void V2WritesUnifiedFilesAndEnablesControllers()
    {
        // cgroup v2: memory.max, memory.swap.max (swap alone), cpu.max, cpu.weight, pids.max; ancestors delegate.
        var mount = _dir.Sub("v2");
        File.WriteAllText(Path.Combine(mount, "cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma");
        var leaf = Path.Combine(mount, "berth", "c1");
        var m = new CgroupV2Manager(mount, leaf);
        m.Create();
        Directory.CreateDirectory(leaf);
        File.WriteAllText(Path.Combine(leaf, "memory.swap.max"), "max");
        File.WriteAllText(Path.Combine(Path.Combine(mount, "berth"), "cgroup.controllers"), "cpu memory pids");
        m.Create();
        m.Apply(Limits);
        Assert.Equal("+cpuset +cpu +io +memory +pids", File.ReadAllText(Path.Combine(mount, "cgroup.subtree_control")));
        Assert.Equal("+cpu +memory +pids", File.ReadAllText(Path.Combine(mount, "berth", "cgroup.subtree_control")));
        Assert.Equal("67108864", File.ReadAllText(Path.Combine(leaf, "memory.max")));
        Assert.Equal("67108864", File.ReadAllText(Path.Combine(leaf, "memory.swap.max")));
        Assert.Equal("50000 100000", File.ReadAllText(Path.Combine(leaf, "cpu.max")));
        Assert.Equal("20", File.ReadAllText(Path.Combine(leaf, "cpu.weight")));
        Assert.Equal("64", File.ReadAllText(Path.Combine(leaf, "pids.max")));
        Assert.Equal([Path.Combine(mount, "berth"), leaf], m.Created);
    }

    [Fact]
    public void V2OomCountComesFromMemoryEvents()
    {
        // OOMKilled is read from memory.events.
        var leaf = _dir.Sub("oom");
        File.WriteAllText(Path.Combine(leaf, "memory.events"), "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
        Assert.Equal(1, new CgroupV2Manager(_dir.Path, leaf).OomKillCount());
    }

    [Theory]
    [InlineData(2UL, 1L)]
    [InlineData(1024UL, 39L)]
    [InlineData(262144UL, 10000L)]
    public void SharesConvertToWeightAsRunc(ulong shares, long weight) =>
        // The same --cpu-shares must mean the same weight under berth and runc.
        Assert.Equal(weight, CgroupV2Manager.SharesToWeight(shares));

    [Fact]
    public void V1WritesEachControllersFiles()
    {
        // cgroup v1: memory.limit_in_bytes, memsw where the kernel has it, cfs quota/period, shares, pids.max,
        // the device allowlist, and a cpuset copied from the parent.
        var hierarchies = new List<CgroupHierarchy>();
        foreach (var c in new[] { "memory", "cpu", "pids", "devices", "cpuset" })
        {
            var mp = _dir.Sub(c);
            hierarchies.Add(new CgroupHierarchy { Name = c, FsType = "cgroup", Options = c, Controllers = [c], MountPoint = mp });
        }
        File.WriteAllText(Path.Combine(_dir.Path, "cpuset", "cpuset.cpus"), "0-1\n");
        File.WriteAllText(Path.Combine(_dir.Path, "cpuset", "cpuset.mems"), "0\n");
        var m = new CgroupV1Manager(hierarchies.Select(h => (h, h.DirectoryOf("/berth/c1"))).ToList(), []);
        m.Create();
        File.WriteAllText(Path.Combine(_dir.Path, "memory", "berth", "c1", "memory.memsw.limit_in_bytes"), "");
        m.Apply(Limits with { Devices = Berth.Runtime.Security.DockerDefaults.DeviceRules });
        string Read(string c, string f) => File.ReadAllText(Path.Combine(_dir.Path, c, "berth", "c1", f));
        Assert.Equal("67108864", Read("memory", "memory.limit_in_bytes"));
        Assert.Equal("134217728", Read("memory", "memory.memsw.limit_in_bytes"));
        Assert.Equal("50000", Read("cpu", "cpu.cfs_quota_us"));
        Assert.Equal("100000", Read("cpu", "cpu.cfs_period_us"));
        Assert.Equal("512", Read("cpu", "cpu.shares"));
        Assert.Equal("64", Read("pids", "pids.max"));
        Assert.Equal("c 10:200 rwm", Read("devices", "devices.allow")); // the last rule written: runc's always-allowed tun, after the spec's
        Assert.Equal("0-1", Read("cpuset", "cpuset.cpus"));
        Assert.Equal("0", File.ReadAllText(Path.Combine(_dir.Path, "cpuset", "berth", "cpuset.mems")));
    }

    [Fact]
    public void V1OomCountComesFromOomControl()
    {
        // OOMKilled on v1 is the oom_kill line of memory.oom_control (kernel 4.13+).
        var mp = _dir.Sub("memory");
        var h = new CgroupHierarchy { Name = "memory", FsType = "cgroup", Options = "memory", Controllers = ["memory"], MountPoint = mp };
        var leaf = Path.Combine(mp, "c");
        Directory.CreateDirectory(leaf);
        File.WriteAllText(Path.Combine(leaf, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        Assert.Equal(2, new CgroupV1Manager([(h, leaf)], []).OomKillCount());
    }

    [Fact]
    public void DestroyRemovesTheLeafAndEmptyCreatedParentsOnly()
    {
        // Delete leaves the cgroup tree as it found it, but never removes a parent another container still uses.
        var mount = _dir.Sub("v2d");
        var a = new CgroupV2Manager(mount, Path.Combine(mount, "berth", "a"));
        a.Create();
        a.Destroy();
        Assert.False(Directory.Exists(Path.Combine(mount, "berth")));

        a = new CgroupV2Manager(mount, Path.Combine(mount, "berth", "a"));
        var b = new CgroupV2Manager(mount, Path.Combine(mount, "berth", "b"));
        a.Create();
        b.Create();
        a.Destroy();
        Assert.False(Directory.Exists(Path.Combine(mount, "berth", "a")));
        Assert.True(Directory.Exists(Path.Combine(mount, "berth", "b")));
    }

    public void Dispose() => _dir.Dispose();
}
