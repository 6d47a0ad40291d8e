using Berth.Runtime.Cgroups;
using Berth.Testing;

namespace Berth.Runtime.Tests.Cgroups;

public sealed class CgroupMigrationTests
{
    [Fact]
    public void TheWarmUpRunsBetweenBeginAndEndAndLeavesTheProcessWhereItWas()
    {
        // The migrations only switch the kernel's lock: the loop must run once begun, this process must stay in its
        // own cgroups throughout, and the loop must stop when told (and can be started again).
        HostCapabilities.RequireRoot();
        HostCapabilities.Require(CgroupLayout.Detect().Hierarchies.Any(h => h.FsType == "cgroup2"), "needs a cgroup v2 hierarchy (the warm-up has nothing to do without one)");
        var before = File.ReadAllText("/proc/self/cgroup");
        for (var round = 0; round < 2; round++)
        {
            var sinceBegin = System.Diagnostics.Stopwatch.StartNew();
            CgroupMigration.Begin();
            // The loop lives a second (its own limit) unless End comes first: polling sees it, and sees it still
            // there later unless that second has (nearly) passed on a slow machine.
            Assert.True(Wait.Until(WarmUpRunning, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1)), $"round {round}: the warm-up thread did not start");
            for (var i = 0; i < 10; i++)
            {
                Thread.Sleep(5);
                Assert.Equal(before, File.ReadAllText("/proc/self/cgroup"));
            }
            var running = WarmUpRunning();
            Assert.True(running || sinceBegin.Elapsed > TimeSpan.FromMilliseconds(800), $"round {round}: the warm-up ended after {sinceBegin.Elapsed.TotalMilliseconds:0} ms, before End");
            CgroupMigration.End();
            Assert.True(Wait.Until(() => !WarmUpRunning(), TimeSpan.FromSeconds(5)), "the warm-up thread did not stop");
        }
        Assert.Equal(before, File.ReadAllText("/proc/self/cgroup"));
    }

    /// <summary>Whether a thread named as the warm-up loop's (comm keeps 15 characters) is alive.</summary>
    private static bool WarmUpRunning() => Directory.EnumerateDirectories("/proc/self/task").Any(t =>
    {
        try { return File.ReadAllText(Path.Combine(t, "comm")).Trim() == "berth-cgroup-wa"; }
        catch (IOException) { return false; } // the thread ended while we looked
    });
}
