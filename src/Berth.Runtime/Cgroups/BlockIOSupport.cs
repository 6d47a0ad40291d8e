namespace Berth.Runtime.Cgroups;

/// <summary>Which block I/O controls the host's cgroups offer, found as dockerd's sysinfo finds them: on cgroup v1 by
/// the blkio hierarchy's files (<c>blkio.weight</c> or BFQ's <c>blkio.bfq.weight</c>, <c>blkio.weight_device</c>,
/// <c>blkio.throttle.*_device</c>: a kernel without CFQ or BFQ has throttles but no weights), on v2 by the
/// <c>io</c> controller.</summary>
public sealed record BlockIOSupport(bool Weight, bool WeightDevice, bool ReadBps, bool WriteBps, bool ReadIOps, bool WriteIOps)
{
    public static BlockIOSupport Detect(CgroupLayout layout)
    {
        if (layout.Unified)
        {
            var io = (CgroupFs.TryRead(layout.UnifiedMount!, "cgroup.controllers") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains("io");
            return new BlockIOSupport(io, io, io, io, io, io);
        }
        var blkio = layout.Hierarchies.FirstOrDefault(h => h.Controllers.Contains("blkio"))?.MountPoint;
        bool Has(params string[] files) => blkio is not null && files.Any(f => File.Exists(Path.Combine(blkio, f)));
        return new BlockIOSupport(
            Has("blkio.weight", "blkio.bfq.weight"), Has("blkio.weight_device", "blkio.bfq.weight_device"),
            Has("blkio.throttle.read_bps_device"), Has("blkio.throttle.write_bps_device"),
            Has("blkio.throttle.read_iops_device"), Has("blkio.throttle.write_iops_device"));
    }
}
