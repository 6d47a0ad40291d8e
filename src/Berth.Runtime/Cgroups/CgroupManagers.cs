using Berth.Runtime.Cgroups.V1;
using Berth.Runtime.Cgroups.V2;

namespace Berth.Runtime.Cgroups;

/// <summary>Chooses the manager for a host: v2 when the unified hierarchy holds the controllers, v1 otherwise.</summary>
public static class CgroupManagers
{
    public static ICgroupManager For(CgroupLayout layout, string cgroupsPath)
    {
        if (layout.Unified)
        {
            var h = layout.Hierarchies[0];
            var path = CgroupLayout.ResolvePath(cgroupsPath, h.OwnPath);
            return new CgroupV2Manager(h.MountPoint, h.DirectoryOf(path));
        }
        // v1: the path in every hierarchy, relative ones resolved against our own cgroup in that hierarchy (runc).
        var dirs = layout.Hierarchies.Select(h => (h, h.DirectoryOf(CgroupLayout.ResolvePath(cgroupsPath, h.OwnPath)))).ToList();
        return new CgroupV1Manager(dirs, []);
    }

    /// <summary>Rebuilds the manager of an existing container from what its state recorded.</summary>
    public static ICgroupManager FromState(string kind, IReadOnlyDictionary<string, string> paths, IReadOnlyList<string> created, CgroupLayout layout)
    {
        if (kind == "v2") return new CgroupV2Manager(layout.UnifiedMount ?? "/sys/fs/cgroup", paths[""], created);
        var dirs = layout.Hierarchies.Where(h => paths.ContainsKey(h.Name)).Select(h => (h, paths[h.Name])).ToList();
        return new CgroupV1Manager(dirs, created);
    }
}
