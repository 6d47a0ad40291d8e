using Berth.Oci.Errors;
using Berth.Runtime.Spec;

namespace Berth.Runtime.Cgroups.V1;

/// <summary>A container cgroup on cgroup v1: one directory per mounted hierarchy (every one is joined, so the
/// container's cgroup namespace shows it at the root of each), limits written to the controllers that hold them.</summary>
/// <see href="https://docs.kernel.org/admin-guide/cgroup-v1/index.html"/>
public sealed class CgroupV1Manager : ICgroupManager
{
    private readonly IReadOnlyList<(CgroupHierarchy Hierarchy, string Dir)> _dirs;
    private readonly List<string> _created;

    /// <summary>A manager over one directory per hierarchy; <paramref name="created"/> lists directories an earlier
    /// <see cref="Create"/> made (from an existing container's state).</summary>
    public CgroupV1Manager(IReadOnlyList<(CgroupHierarchy Hierarchy, string Dir)> dirs, IReadOnlyList<string> created)
    {
        _dirs = dirs;
        _created = created.ToList();
    }

    public string Kind => "v1";
    public IReadOnlyDictionary<string, string> Paths => _dirs.ToDictionary(d => d.Hierarchy.Name, d => d.Dir);
    public IReadOnlyList<string> Created => _created;

    private string? DirOf(string controller) =>
        _dirs.FirstOrDefault(d => d.Hierarchy.Controllers.Contains(controller)).Dir;

    public void Create()
    {
        foreach (var (h, dir) in _dirs)
        {
            CgroupFs.MakeAll(h.MountPoint, dir, _created);
            if (h.Controllers.Contains("cpuset")) InitCpuset(h.MountPoint, dir);
        }
    }

    /// <summary>A new cpuset cgroup starts with no CPUs and no memory nodes and accepts no tasks until given some.
    /// Every empty level is filled from its parent, top down, and not only the levels this manager made: another
    /// container may have just created a shared parent and not filled it yet.</summary>
    private static void InitCpuset(string mountPoint, string dir)
    {
        var current = mountPoint.TrimEnd('/');
        foreach (var part in dir[current.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var parent = current;
            current += "/" + part;
            foreach (var file in new[] { "cpuset.cpus", "cpuset.mems" })
            {
                if (string.IsNullOrWhiteSpace(CgroupFs.TryRead(current, file)))
                    CgroupFs.Write(current, file, (CgroupFs.TryRead(parent, file) ?? "").Trim());
            }
        }
    }

    public void Apply(LinuxResources? r)
    {
        if (r is null) return;
        if (r.Unified is { Count: > 0 }) throw BerthException.Invalid("linux.resources.unified needs cgroup v2; this host uses cgroup v1");
        if (r.Memory is { } m && DirOf("memory") is { } mem)
        {
            // The kernel keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every write: when a live update
            // raises both, memsw goes first; when it lowers them, the limit does (runc's setMemoryAndSwap).
            var hasSwap = m.Swap is not null && File.Exists(Path.Combine(mem, "memory.memsw.limit_in_bytes"));
            var current = long.TryParse(CgroupFs.TryRead(mem, "memory.limit_in_bytes")?.Trim(), out var v) ? v : long.MaxValue;
            var swapFirst = hasSwap && (m.Swap == -1 || m.Swap >= current);
            if (swapFirst) CgroupFs.Write(mem, "memory.memsw.limit_in_bytes", CgroupLayout.Format(m.Swap!.Value));
            if (m.Limit is { } limit) CgroupFs.Write(mem, "memory.limit_in_bytes", CgroupLayout.Format(limit));
            if (hasSwap && !swapFirst) CgroupFs.Write(mem, "memory.memsw.limit_in_bytes", CgroupLayout.Format(m.Swap!.Value));
            if (m.Reservation is { } soft) CgroupFs.Write(mem, "memory.soft_limit_in_bytes", CgroupLayout.Format(soft));
            if (m.Swappiness is { } sw and <= 100) CgroupFs.Write(mem, "memory.swappiness", CgroupLayout.Format((long)sw));
            if (m.DisableOomKiller == true) CgroupFs.Write(mem, "memory.oom_control", "1");
        }
        else if (r.Memory is { Limit: not null })
        {
            throw new BerthException(ErrorKind.NotImplemented, "memory limit: no memory cgroup hierarchy is mounted");
        }
        if (r.Cpu is { } c)
        {
            var cpu = DirOf("cpu");
            if ((c.Shares is not null || c.Quota is not null) && cpu is null)
                throw new BerthException(ErrorKind.NotImplemented, "cpu limit: no cpu cgroup hierarchy is mounted");
            if (c.Shares is { } shares and > 0) CgroupFs.Write(cpu!, "cpu.shares", CgroupLayout.Format((long)shares));
            if (c.Period is { } period) CgroupFs.Write(cpu!, "cpu.cfs_period_us", CgroupLayout.Format((long)period));
            if (c.Quota is { } quota) CgroupFs.Write(cpu!, "cpu.cfs_quota_us", CgroupLayout.Format(quota));
            if (DirOf("cpuset") is { } cpuset)
            {
                if (c.Cpus is { Length: > 0 } cpus) CgroupFs.Write(cpuset, "cpuset.cpus", cpus);
                if (c.Mems is { Length: > 0 } mems) CgroupFs.Write(cpuset, "cpuset.mems", mems);
            }
        }
        if (r.Pids is { } p)
        {
            var pids = DirOf("pids") ?? throw new BerthException(ErrorKind.NotImplemented, "pids limit: no pids cgroup hierarchy is mounted");
            CgroupFs.Write(pids, "pids.max", p.Limit > 0 ? CgroupLayout.Format(p.Limit) : "max");
        }
        if (r.BlockIO is { } b) ApplyBlockIO(b);
        if (DeviceRules.For(r.Devices) is { Count: > 0 } rules && DirOf("devices") is { } devices)
        {
            foreach (var rule in rules)
            {
                var type = rule.Type ?? "a";
                var entry = type == "a" ? "a" : $"{type} {Number(rule.Major)}:{Number(rule.Minor)} {rule.Access ?? "rwm"}";
                CgroupFs.Write(devices, rule.Allow ? "devices.allow" : "devices.deny", entry);
            }
        }
    }

    /// <summary>blkio: the weight in <c>blkio.weight</c> (BFQ's <c>blkio.bfq.weight</c> where that is the one there,
    /// as runc), per-device weights, and the throttles as <c>MAJ:MIN RATE</c> lines (a rate of 0 lifts a limit).</summary>
    private void ApplyBlockIO(LinuxBlockIO b)
    {
        var blkio = DirOf("blkio") ?? throw new BerthException(ErrorKind.NotImplemented, "block I/O limits: no blkio cgroup hierarchy is mounted");
        var bfq = !File.Exists(Path.Combine(blkio, "blkio.weight")) && File.Exists(Path.Combine(blkio, "blkio.bfq.weight"));
        if (b.Weight is { } weight and > 0) CgroupFs.Write(blkio, bfq ? "blkio.bfq.weight" : "blkio.weight", CgroupLayout.Format(weight));
        foreach (var d in b.WeightDevice ?? [])
            if (d.Weight is { } w and > 0) CgroupFs.Write(blkio, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device", $"{d.Major}:{d.Minor} {w}");
        foreach (var (file, list) in new[]
                 {
                     ("blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice), ("blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice),
                     ("blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice), ("blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice),
                 })
            foreach (var t in list ?? [])
                CgroupFs.Write(blkio, file, $"{t.Major}:{t.Minor} {t.Rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }

    private static string Number(long? n) => n is { } v and >= 0 ? CgroupLayout.Format(v) : "*";

    /// <summary>Every v1 hierarchy's <c>tasks</c>; a hybrid host's cgroup2 hierarchy is left to
    /// <see cref="AddProcess"/>.</summary>
    public IReadOnlyList<string> ThreadFiles =>
        _dirs.Where(d => d.Hierarchy.FsType == "cgroup").Select(d => Path.Combine(d.Dir, "tasks")).ToList();

    public void AddProcess(int pid)
    {
        foreach (var (h, dir) in _dirs)
            if (h.FsType != "cgroup") CgroupFs.Write(dir, "cgroup.procs", CgroupLayout.Format(pid));
    }

    public IReadOnlyList<int> Processes()
    {
        var dir = DirOf("pids") ?? DirOf("memory") ?? _dirs.FirstOrDefault().Dir;
        return dir is null ? [] : CgroupFs.Pids(dir);
    }

    public long OomKillCount() =>
        DirOf("memory") is { } mem ? CgroupFs.KeyedValue(CgroupFs.TryRead(mem, "memory.oom_control"), "oom_kill") : 0;

    public void Destroy()
    {
        // Freeze-free kill: a fork bomb may race SIGKILLs, so the loop in Remove repeats the kill until rmdir works;
        // pids.max bounds how many there can be.
        CgroupFs.Remove(_dirs.Select(d => d.Dir), _created, CgroupFs.KillAll);
    }
}
