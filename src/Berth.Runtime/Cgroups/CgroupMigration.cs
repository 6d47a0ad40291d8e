namespace Berth.Runtime.Cgroups;

/// <summary>Takes the wait out of putting an init into a cgroup v2 hierarchy. Writing a PID to <c>cgroup.procs</c>
/// takes the kernel's cgroup_threadgroup_rwsem for writing, and that lock first switches its readers (every fork and
/// exit) to a slow path and waits an RCU grace period for them: 7–20 ms on this kind of machine, longer than all of
/// berth's own work for a <c>run</c>. The switch stays in place for about a grace period after the last writer, so a
/// migration soon after another does not wait. <see cref="Begin"/> makes harmless migrations — this process into the
/// cgroup it is already in — on a background thread, every 2 ms, while the caller prepares the container; the init's
/// join (<see cref="ICgroupManager.AddProcess"/>) then finds the lock switched, and <see cref="End"/> stops them
/// (they stop by themselves after a second). cgroup v1 joins need none of this: the spawning thread moves itself,
/// which takes no process-wide lock (<see cref="ICgroupManager.ThreadFiles"/>).</summary>
public static class CgroupMigration
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(2), Limit = TimeSpan.FromSeconds(1);
    private static volatile bool s_stop;
    private static int s_started;

    /// <summary>Starts the no-op migrations if there is a cgroup v2 hierarchy to join and none are running; returns
    /// at once.</summary>
    public static void Begin()
    {
        if (!Environment.IsPrivilegedProcess || Interlocked.Exchange(ref s_started, 1) != 0) return;
        s_stop = false;
        new Thread(Loop, 128 * 1024) { IsBackground = true, Name = "berth-cgroup-warm" }.Start();
    }

    /// <summary>The join is done: no more migrations.</summary>
    public static void End() => s_stop = true;

    private static void Loop()
    {
        try
        {
            var v2 = CgroupLayout.Detect().Hierarchies.FirstOrDefault(h => h.FsType == "cgroup2");
            if (v2 is null) return;
            var procs = Path.Combine(v2.DirectoryOf(v2.OwnPath), "cgroup.procs");
            var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var deadline = Environment.TickCount64 + (long)Limit.TotalMilliseconds;
            while (!s_stop && Environment.TickCount64 < deadline)
            {
                File.WriteAllText(procs, self);
                Thread.Sleep(Interval);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only an optimisation: the join itself reports real errors.
        }
        finally
        {
            // A later Begin (a long-lived process starting another container) starts a new loop.
            Volatile.Write(ref s_started, 0);
        }
    }
}
