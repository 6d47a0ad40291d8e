using Berth.Oci.Errors;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Spec;

namespace Berth.Runtime;

/// <summary><c>pause</c>/<c>resume</c> as runc's: every process of a running container frozen in its cgroup's
/// freezer (v1 <c>freezer.state</c>, v2 <c>cgroup.freeze</c>), and thawed again.</summary>
public sealed partial class ContainerRuntime
{
    private static readonly TimeSpan FreezeTimeout = TimeSpan.FromSeconds(10);

    public void Pause(string id)
    {
        var record = ReadRecord(id);
        if (StatusOf(record) != ContainerState.Running) throw BerthException.Conflict($"container {id} is not running");
        var cgroup = CgroupOf(record) ?? throw BerthException.Invalid($"container {id} has no cgroup to freeze");
        CgroupFreezer.Freeze(cgroup, FreezeTimeout);
    }

    public void Resume(string id)
    {
        var record = ReadRecord(id);
        if (StatusOf(record) != ContainerState.Running) throw BerthException.Conflict($"container {id} is not running");
        var cgroup = CgroupOf(record) ?? throw BerthException.Invalid($"container {id} has no cgroup to thaw");
        CgroupFreezer.Thaw(cgroup, FreezeTimeout);
    }

    /// <summary>Whether the container's cgroup is frozen; false for a container that is gone.</summary>
    public bool IsPaused(string id)
    {
        ContainerRecord record;
        try
        {
            record = ReadRecord(id);
        }
        catch (BerthException e) when (e.Kind == ErrorKind.NotFound)
        {
            return false;
        }
        return CgroupOf(record) is { } cgroup && CgroupFreezer.IsFrozen(cgroup);
    }

    /// <summary>After a signal: a frozen container is thawed so the signal takes effect (a frozen v1 task does not
    /// even die of SIGKILL until thawed), as docker's kill and stop of a paused container do.</summary>
    private static void ThawAfterSignal(ContainerRecord record)
    {
        if (CgroupOf(record) is { } cgroup && CgroupFreezer.IsFrozen(cgroup)) CgroupFreezer.Thaw(cgroup, FreezeTimeout);
    }

    private static ICgroupManager? CgroupOf(ContainerRecord record) =>
        record.CgroupKind is { } kind
            ? CgroupManagers.FromState(kind, record.CgroupPaths ?? new Dictionary<string, string>(), record.CgroupCreated ?? [], CgroupLayout.Detect())
            : null;
}
