using Berth.Engine.Builds;
using Berth.Engine.Images;
using Berth.Storage.Snapshots;

namespace Berth.Engine;

/// <summary><c>system df</c> and the Engine API's <c>GET /system/df</c>: what images, containers, volumes and the
/// build cache cost on disk, measured as <c>du</c> would.</summary>
public sealed record SystemDiskUsage(
    ImageService.DiskUsageReport Images,
    SystemDiskUsage.Usage Containers,
    SystemDiskUsage.Usage Volumes,
    BuildService.CacheUsage BuildCache)
{
    /// <summary>A count, how many are in use, their bytes, and the bytes of those not in use.</summary>
    public sealed record Usage(int Count, int Active, long Size, long Reclaimable);

    /// <summary>Measures the store of <paramref name="engine"/>: containers cost their writable layer (reclaimable
    /// unless running), volumes their data (reclaimable unless a container mounts them).</summary>
    public static SystemDiskUsage Measure(BerthEngine engine)
    {
        var containers = engine.Containers;
        var rows = containers.List();
        long UpperOf(string id)
        {
            var upper = Path.Combine(containers.DirOf(id), "upper");
            return Directory.Exists(upper) ? DiskUsage.Measure(upper) : 0;
        }
        var sizes = rows.Select(r => (Row: r, Size: UpperOf(r.Id))).ToList();
        var running = sizes.Where(s => s.Row.Status == "running").ToList();
        var volumes = engine.Volumes;
        var inUse = rows.SelectMany(r => containers.Inspect(r).Mounts.Where(m => m.Type == "volume").Select(m => m.Name)).ToHashSet();
        long VolSize(string name) => Directory.Exists(volumes.DataPathOf(name)) ? DiskUsage.Measure(volumes.DataPathOf(name)) : 0;
        var vols = volumes.List().Select(v => (v.Name, Size: VolSize(v.Name), Used: inUse.Contains(v.Name))).ToList();
        return new SystemDiskUsage(
            engine.Images.DiskUsage(),
            new Usage(rows.Count, running.Count, sizes.Sum(s => s.Size), sizes.Sum(s => s.Size) - running.Sum(s => s.Size)),
            new Usage(vols.Count, vols.Count(v => v.Used), vols.Sum(v => v.Size), vols.Where(v => !v.Used).Sum(v => v.Size)),
            engine.Builds.Usage());
    }
}
