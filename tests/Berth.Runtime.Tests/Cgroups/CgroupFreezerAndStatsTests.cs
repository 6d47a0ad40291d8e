using Berth.Runtime.Cgroups;
using Berth.Runtime.Cgroups.V2;
using Berth.Testing;

namespace Berth.Runtime.Tests.Cgroups;

/// <summary>The cgroup v2 freezer and stats files against a temporary directory standing in for the unified
/// hierarchy (this machine may only have v1; the v1 paths run for real in the container tests).</summary>
public sealed class CgroupFreezerAndStatsTests : IDisposable
{
    private readonly TempDirectory _dir = new("berth-cgroupfs");

    [Fact]
    public void V2FreezeWritesCgroupFreezeAndWaitsForTheEvent()
    {
        var leaf = _dir.Sub("c1");
        var cgroup = new CgroupV2Manager(_dir.Path, leaf);
        File.WriteAllText(Path.Combine(leaf, "cgroup.freeze"), "0");
        File.WriteAllText(Path.Combine(leaf, "cgroup.events"), "populated 1\nfrozen 1\n");
        Assert.False(CgroupFreezer.IsFrozen(cgroup));
        CgroupFreezer.Freeze(cgroup, TimeSpan.FromSeconds(5));
        Assert.Equal("1", File.ReadAllText(Path.Combine(leaf, "cgroup.freeze")));
        Assert.True(CgroupFreezer.IsFrozen(cgroup));
        // The kernel never reports "frozen 0" here: the thaw times out with a clear error instead of hanging.
        var e = Assert.ThrowsAny<Exception>(() => CgroupFreezer.Thaw(cgroup, TimeSpan.FromMilliseconds(50)));
        Assert.Contains("the freezer did not settle", e.Message);
    }

    [Fact]
    public void V2FreezeWithoutTheFileSaysSo()
    {
        var cgroup = new CgroupV2Manager(_dir.Path, _dir.Sub("old"));
        var e = Assert.ThrowsAny<Exception>(() => CgroupFreezer.Freeze(cgroup, TimeSpan.FromSeconds(1)));
        Assert.Contains("has no freezer", e.Message);
    }

    [Fact]
    public void AThawOfARemovedCgroupIsDoneAndAFreezeFails()
    {
        // kill and stop thaw a paused container after signalling it: the thawed container dies and its monitor may
        // remove the cgroup before the thaw looks again. That kill failed ("write THAWED … Could not find a part of
        // the path") on a loaded machine.
        var v2 = new CgroupV2Manager(_dir.Path, Path.Combine(_dir.Path, "removed"));
        CgroupFreezer.Thaw(v2, TimeSpan.FromSeconds(1));
        Assert.Contains("has no freezer", Assert.ThrowsAny<Exception>(() => CgroupFreezer.Freeze(v2, TimeSpan.FromSeconds(1))).Message);
        var v1 = CgroupManagers.FromState("v1", new Dictionary<string, string> { ["freezer"] = Path.Combine(_dir.Path, "removed-v1") }, [], CgroupLayout.Detect());
        CgroupFreezer.Thaw(v1, TimeSpan.FromSeconds(1));
        Assert.Contains("no cgroup freezer", Assert.ThrowsAny<Exception>(() => CgroupFreezer.Freeze(v1, TimeSpan.FromSeconds(1))).Message);
    }

    [Fact]
    public void V2StatsReadDockersFigures()
    {
        var leaf = _dir.Sub("c2");
        File.WriteAllText(Path.Combine(leaf, "cpu.stat"), "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
        File.WriteAllText(Path.Combine(leaf, "memory.current"), "10485760\n");
        File.WriteAllText(Path.Combine(leaf, "memory.stat"), "anon 1\nfile 4194304\ninactive_file 4194304\n");
        File.WriteAllText(Path.Combine(leaf, "memory.max"), "67108864\n");
        File.WriteAllText(Path.Combine(leaf, "io.stat"), "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n8:16 rbytes=1 wbytes=2 rios=1 wios=1\n");
        File.WriteAllText(Path.Combine(leaf, "pids.current"), "3\n");
        var stats = CgroupStats.Read(new CgroupV2Manager(_dir.Path, leaf));
        Assert.Equal(new CgroupStats { CpuNanoseconds = 1_500_000, MemoryUsage = 6291456, MemoryLimit = 67108864, BlockRead = 4097, BlockWrite = 8194, Pids = 3, InactiveFile = 4194304 },
            stats with { IoServiceBytes = [] });
        // dockerd's v2 shape: a "read" and a "write" entry per device, and no operation counts.
        Assert.Equal([new(8, 0, "read", 4096), new(8, 0, "write", 8192), new(8, 16, "read", 1), new(8, 16, "write", 2)], stats.IoServiceBytes.ToArray<BlkioStatEntry>());
        Assert.Null(stats.IoServiced);
        File.WriteAllText(Path.Combine(leaf, "memory.max"), "max\n");
        Assert.Null(CgroupStats.Read(new CgroupV2Manager(_dir.Path, leaf)).MemoryLimit);
    }

    [Fact]
    public void V1StatsReadTheThrottleCounters()
    {
        // A v1 blkio directory as a kernel without CFQ has it: the throttle layer's per-device lines and a Total.
        var blkio = _dir.Sub("blkio-c");
        File.WriteAllText(Path.Combine(blkio, "blkio.throttle.io_service_bytes"),
            "254:0 Read 4096\n254:0 Write 1048576\n254:0 Sync 1048576\n254:0 Async 4096\n254:0 Discard 0\n254:0 Total 1052672\nTotal 1052672\n");
        File.WriteAllText(Path.Combine(blkio, "blkio.throttle.io_serviced"),
            "254:0 Read 1\n254:0 Write 256\n254:0 Sync 256\n254:0 Async 1\n254:0 Discard 0\n254:0 Total 257\nTotal 257\n");
        var hierarchy = new CgroupHierarchy { Name = "blkio", FsType = "cgroup", Options = "blkio", Controllers = ["blkio"], MountPoint = _dir.Path };
        var stats = CgroupStats.Read(new Berth.Runtime.Cgroups.V1.CgroupV1Manager([(hierarchy, blkio)], []));
        Assert.Equal("v1", stats.Version);
        Assert.Equal((4096UL, 1048576UL), (stats.BlockRead, stats.BlockWrite));
        Assert.Equal(["Read", "Write", "Sync", "Async", "Discard", "Total"], stats.IoServiceBytes.Select(e => e.Op).ToArray());
        Assert.Equal(new BlkioStatEntry(254, 0, "Write", 256), stats.IoServiced![1]);
        Assert.Equal(6, stats.IoServiced.Count);
    }

    public void Dispose() => _dir.Dispose();
}
