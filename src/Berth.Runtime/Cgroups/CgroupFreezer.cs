using Berth.Oci.Errors;

namespace Berth.Runtime.Cgroups;

/// <summary><c>pause</c>/<c>unpause</c>: the freezer of a container's cgroup, as runc's (libcontainer/cgroups/fs
/// freezer.go and fs2/freezer.go). cgroup v1 writes FROZEN or THAWED to <c>freezer.state</c> and waits until the
/// state reads back (FREEZING until every task stopped); cgroup v2 writes 1 or 0 to <c>cgroup.freeze</c> and waits
/// for <c>cgroup.events</c> to say <c>frozen 1</c> or <c>frozen 0</c>.</summary>
public static class CgroupFreezer
{
    private const string V1State = "freezer.state", V2Freeze = "cgroup.freeze", V2Events = "cgroup.events";

    /// <summary>Whether the cgroup is frozen (or freezing); false where it has no freezer.</summary>
    public static bool IsFrozen(ICgroupManager cgroup)
    {
        if (cgroup.Kind == "v2")
            return CgroupFs.TryRead(cgroup.Paths[""], V2Freeze)?.Trim() == "1";
        return V1Dir(cgroup) is { } dir && CgroupFs.TryRead(dir, V1State)?.Trim() is "FROZEN" or "FREEZING";
    }

    public static void Freeze(ICgroupManager cgroup, TimeSpan timeout) => Set(cgroup, frozen: true, timeout);

    public static void Thaw(ICgroupManager cgroup, TimeSpan timeout) => Set(cgroup, frozen: false, timeout);

    private static void Set(ICgroupManager cgroup, bool frozen, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        if (cgroup.Kind == "v2")
        {
            var dir = cgroup.Paths[""];
            if (Gone(dir, frozen)) return;
            if (!File.Exists(Path.Combine(dir, V2Freeze)))
                throw BerthException.Invalid($"cgroup {dir} has no freezer (cgroup.freeze needs Linux 5.2)");
            try
            {
                CgroupFs.Write(dir, V2Freeze, frozen ? "1" : "0");
            }
            catch (BerthException) when (Gone(dir, frozen))
            {
                return;
            }
            while (CgroupFs.KeyedValue(CgroupFs.TryRead(dir, V2Events), "frozen") != (frozen ? 1 : 0))
            {
                if (Gone(dir, frozen)) return;
                Wait(dir, deadline);
            }
            return;
        }
        if (!frozen && cgroup.Paths.Values.All(d => Gone(d, frozen))) return;
        var v1 = V1Dir(cgroup) ?? throw BerthException.Invalid("the host has no cgroup freezer hierarchy mounted");
        var target = frozen ? "FROZEN" : "THAWED";
        // A task that forks while the freeze runs can leave the cgroup FREEZING: write again until it reads FROZEN.
        while (true)
        {
            try
            {
                CgroupFs.Write(v1, V1State, target);
            }
            catch (BerthException) when (Gone(v1, frozen))
            {
                return;
            }
            if (CgroupFs.TryRead(v1, V1State)?.Trim() == target || Gone(v1, frozen)) return;
            Wait(v1, deadline);
        }
    }

    /// <summary>A thaw whose cgroup was removed meanwhile is done: the thaw let a killed container die, and its
    /// monitor removed the cgroup before the state was read back (a kill of a paused container failed so, under load).</summary>
    private static bool Gone(string dir, bool frozen) => !frozen && !Directory.Exists(dir);

    private static void Wait(string dir, long deadline)
    {
        if (Environment.TickCount64 > deadline) throw new BerthException(ErrorKind.Unavailable, $"cgroup {dir}: the freezer did not settle in time");
        Thread.Sleep(1);
    }

    /// <summary>The container's directory in the v1 hierarchy that has the freezer controller.</summary>
    private static string? V1Dir(ICgroupManager cgroup) =>
        cgroup.Paths.Values.FirstOrDefault(d => File.Exists(Path.Combine(d, V1State)));
}
