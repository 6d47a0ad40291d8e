using Berth.Runtime.Cgroups;
using Berth.Runtime.Cgroups.V1;
using Berth.Runtime.Cgroups.V2;

namespace Berth.Runtime.Tests.Cgroups;

public sealed class CgroupLayoutTests
{
    // This machine's shape: v1 controllers under a tmpfs, plus a v2 hierarchy at /sys/fs/cgroup/unified.
    private const string HybridMountinfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/x,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    private const string HybridProcCgroup = "9:name=systemd:/\n8:pids:/\n4:memory:/jobs/a\n1:cpu:/\n0::/\n";

    [Fact]
    public void HybridHostIsDetectedAsV1WithEveryHierarchy()
    {
        // Detect, do not assume: this host has v1 controllers beside an (empty) v2 hierarchy.
        var layout = CgroupLayout.Parse(HybridMountinfo, HybridProcCgroup);
        Assert.False(layout.Unified);
        Assert.Equal(["cpu", "memory", "pids", "systemd", "unified"], layout.Hierarchies.Select(h => h.Name));
        var memory = layout.Hierarchies.Single(h => h.Name == "memory");
        Assert.Equal(["memory"], memory.Controllers);
        Assert.Equal("/jobs/a", memory.OwnPath);
        Assert.Equal("name=systemd", layout.Hierarchies.Single(h => h.Name == "systemd").Options);
        Assert.IsType<CgroupV1Manager>(CgroupManagers.For(layout, "/berth/c1"));
    }

    [Fact]
    public void UnifiedHostIsV2()
    {
        // A pure cgroup v2 host: one hierarchy at /sys/fs/cgroup holds every controller.
        var layout = CgroupLayout.Parse("30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n", "0::/user.slice/x.scope\n");
        Assert.True(layout.Unified);
        var manager = Assert.IsType<CgroupV2Manager>(CgroupManagers.For(layout, "/berth/c1"));
        Assert.Equal("/sys/fs/cgroup/berth/c1", manager.Paths[""]);
        Assert.Equal("/sys/fs/cgroup/user.slice/x.scope/sub/c1", CgroupManagers.For(layout, "sub/c1").Paths[""]);
    }

    [Fact]
    public void RelativePathsAreUnderOurOwnCgroupPerHierarchy()
    {
        // runc's cgroupfs rule: relative cgroupsPath is relative to the caller's cgroup in each hierarchy.
        var layout = CgroupLayout.Parse(HybridMountinfo, HybridProcCgroup);
        var paths = CgroupManagers.For(layout, "berth/c1").Paths;
        Assert.Equal("/sys/fs/cgroup/memory/jobs/a/berth/c1", paths["memory"]);
        Assert.Equal("/sys/fs/cgroup/cpu/berth/c1", paths["cpu"]);
    }

    [Theory]
    [InlineData("/berth/../../etc")]
    [InlineData("a/./b")]
    public void PathsWithDotsAreRejected(string path)
    {
        // A cgroupsPath must not climb out of the hierarchy.
        Assert.Throws<Oci.Errors.BerthException>(() => CgroupLayout.ResolvePath(path, "/"));
    }
}
