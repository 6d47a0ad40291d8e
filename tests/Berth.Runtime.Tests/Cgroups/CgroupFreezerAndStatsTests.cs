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
        Assert.Equal(new CgroupStats { CpuNanoseconds = 1_500_000, MemoryUsage = 6291456, MemoryLimit = 67108864, BlockRead = 4097, BlockWrite = 8194, Pids = 3, InactiveFile = 4194304 }, stats);
        File.WriteAllText(Path.Combine(leaf, "memory.max"), "max\n");
        Assert.Null(CgroupStats.Read(new CgroupV2Manager(_dir.Path, leaf)).MemoryLimit);
    }

    public void Dispose() => _dir.Dispose();
}
