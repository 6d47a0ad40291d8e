namespace Berth.Runtime.Cgroups;

/// <summary>Takes the wait out of putting an init into a cgroup v2 hierarchy. Writing a PID to <c>cgroup.procs</c>
/// takes the kernel's cgroup_threadgroup_rwsem for writing, and that lock first switches its readers (every fork and
/// exit) to a slow path and waits an RCU grace period for them: 7–20 ms on this kind of machine, longer than all of
/// berth's own work for a <c>run</c>. The switch stays in place for a grace period after the last writer, so a second
/// migration soon after the first does not wait. <see cref="Begin"/> makes that first migration a harmless one —
/// this process into the cgroup it is already in — on a background thread, while the caller prepares the container;
/// the init's join then usually finds the lock switched. (cgroup v1 joins need none of this: the spawning thread
/// moves itself, which takes no process-wide lock; see <see cref="ICgroupManager.ThreadFiles"/>.)</summary>
public static class CgroupMigration
{
    /// <summary>Starts the no-op migration if there is a cgroup v2 hierarchy to join; returns at once.</summary>
    public static void Begin()
    {
        if (!Environment.IsPrivilegedProcess) return;
        ThreadPool.UnsafeQueueUserWorkItem(static _ =>
        {
            try
            {
                var v2 = CgroupLayout.Detect().Hierarchies.FirstOrDefault(h => h.FsType == "cgroup2");
                if (v2 is null) return;
                File.WriteAllText(Path.Combine(v2.DirectoryOf(v2.OwnPath), "cgroup.procs"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Only an optimisation: the join itself reports real errors.
            }
        }, null);
    }
}
