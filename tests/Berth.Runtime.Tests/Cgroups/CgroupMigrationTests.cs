using Berth.Runtime.Cgroups;
using Berth.Testing;

namespace Berth.Runtime.Tests.Cgroups;

public sealed class CgroupMigrationTests
{
    [Fact]
    public void TheWarmUpLeavesTheProcessWhereItWas()
    {
        // The migrations only switch the kernel's lock: this process must stay in its own cgroups throughout, and
        // the loop must stop when told (and can be started again).
        HostCapabilities.RequireRoot();
        var before = File.ReadAllText("/proc/self/cgroup");
        for (var round = 0; round < 2; round++)
        {
            CgroupMigration.Begin();
            for (var i = 0; i < 10; i++)
            {
                Thread.Sleep(5);
                Assert.Equal(before, File.ReadAllText("/proc/self/cgroup"));
            }
            CgroupMigration.End();
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (WarmUpRunning() && DateTime.UtcNow < deadline) Thread.Sleep(10);
            Assert.False(WarmUpRunning(), "the warm-up thread did not stop");
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
