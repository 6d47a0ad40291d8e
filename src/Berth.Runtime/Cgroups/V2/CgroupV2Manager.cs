using Berth.Oci.Errors;
using Berth.Runtime.Spec;

namespace Berth.Runtime.Cgroups.V2;

/// <summary>A container cgroup on the unified (v2) hierarchy.</summary>
/// <see href="https://docs.kernel.org/admin-guide/cgroup-v2.html"/>
public sealed class CgroupV2Manager : ICgroupManager
{
    private static readonly string[] Wanted = ["cpuset", "cpu", "io", "memory", "pids"];
    private readonly string _mount;
    private readonly string _dir;
    private readonly List<string> _created;

    public CgroupV2Manager(string mountPoint, string directory, IReadOnlyList<string>? created = null)
    {
        _mount = mountPoint.TrimEnd('/');
        _dir = directory;
        _created = created?.ToList() ?? [];
    }

    public string Kind => "v2";
    public IReadOnlyDictionary<string, string> Paths => new Dictionary<string, string> { [""] = _dir };
    public IReadOnlyList<string> Created => _created;

    public void Create()
    {
        CgroupFs.MakeAll(_mount, _dir, _created);
        // Controllers must be enabled in every ancestor's subtree_control for the leaf to have their files.
        var current = _mount;
        foreach (var part in _dir[_mount.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var available = (CgroupFs.TryRead(current, "cgroup.controllers") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var enable = Wanted.Where(available.Contains).Select(c => "+" + c).ToList();
            if (enable.Count > 0)
            {
                try
                {
                    CgroupFs.Write(current, "cgroup.subtree_control", string.Join(' ', enable));
                }
                catch (BerthException)
                {
                    // A level with processes of its own cannot delegate (no internal processes rule); limits that
                    // need the controller then fail in Apply with a message naming the file.
                }
            }
            current += "/" + part;
        }
    }

    public void Apply(LinuxResources? r)
    {
        if (r is null) return;
        if (r.Memory is { } m)
        {
            if (m.Reservation is { } low) CgroupFs.Write(_dir, "memory.low", Limit(low));
            if (m.Limit is { } limit) CgroupFs.Write(_dir, "memory.max", Limit(limit));
            if (m.Swap is { } swap && File.Exists(Path.Combine(_dir, "memory.swap.max")))
            {
                // The spec's swap is v1's memory+swap; v2 limits swap alone.
                var value = swap == -1 ? "max" : m.Limit is { } l and > 0 ? CgroupLayout.Format(Math.Max(0, swap - l)) : CgroupLayout.Format(swap);
                CgroupFs.Write(_dir, "memory.swap.max", value);
            }
            // cgroup v2 has no switch for the OOM killer: docker discards --oom-kill-disable there (with a warning),
            // and runc ignores the field; so does berth.
        }
        if (r.Cpu is { } c)
        {
            if (c.Shares is { } shares and > 0)
                CgroupFs.Write(_dir, "cpu.weight", CgroupLayout.Format(SharesToWeight(shares)));
            if (c.Quota is not null || c.Period is not null)
            {
                var quota = c.Quota is { } q and > 0 ? CgroupLayout.Format(q) : "max";
                CgroupFs.Write(_dir, "cpu.max", $"{quota} {CgroupLayout.Format((long)(c.Period ?? 100_000))}");
            }
            if (c.Cpus is { Length: > 0 } cpus) CgroupFs.Write(_dir, "cpuset.cpus", cpus);
            if (c.Mems is { Length: > 0 } mems) CgroupFs.Write(_dir, "cpuset.mems", mems);
        }
        if (r.Pids is { } p) CgroupFs.Write(_dir, "pids.max", p.Limit > 0 ? CgroupLayout.Format(p.Limit) : "max");
        if (r.BlockIO is { } b) ApplyBlockIO(b);
        foreach (var (file, value) in r.Unified ?? new Dictionary<string, string>())
        {
            if (file.Contains('/') || file.StartsWith('.')) throw BerthException.Invalid($"invalid unified cgroup key {file}");
            CgroupFs.Write(_dir, file, value);
        }
        if (DeviceRules.For(r.Devices) is { Count: > 0 } rules) DeviceFilter.Apply(rules, _dir);
    }

    /// <summary>io: the weight in BFQ's <c>io.bfq.weight</c> when the scheduler offers it, else in <c>io.weight</c>
    /// converted from v1's range (runc's fs2.setIo); per-device weights need BFQ; the throttles as <c>io.max</c>
    /// lines (<c>MAJ:MIN rbps=N</c>; a rate of 0 is written "max", no limit, as v1 reads 0).</summary>
    private void ApplyBlockIO(LinuxBlockIO b)
    {
        var bfq = File.Exists(Path.Combine(_dir, "io.bfq.weight"));
        if (b.Weight is { } weight and > 0)
        {
            if (bfq) CgroupFs.Write(_dir, "io.bfq.weight", CgroupLayout.Format(weight));
            else CgroupFs.Write(_dir, "io.weight", "default " + CgroupLayout.Format(BlkioToIoWeight(weight)));
        }
        foreach (var d in b.WeightDevice ?? [])
        {
            if (d.Weight is not { } w || w == 0) continue;
            if (bfq) CgroupFs.Write(_dir, "io.bfq.weight", $"{d.Major}:{d.Minor} {w}");
            else CgroupFs.Write(_dir, "io.weight", $"{d.Major}:{d.Minor} {BlkioToIoWeight(w)}");
        }
        foreach (var (key, list) in new[]
                 {
                     ("rbps", b.ThrottleReadBpsDevice), ("wbps", b.ThrottleWriteBpsDevice),
                     ("riops", b.ThrottleReadIOPSDevice), ("wiops", b.ThrottleWriteIOPSDevice),
                 })
            foreach (var t in list ?? [])
                CgroupFs.Write(_dir, "io.max", $"{t.Major}:{t.Minor} {key}={(t.Rate == 0 ? "max" : t.Rate.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
    }

    /// <summary>runc's conversion from blkio.weight [10, 1000] to io.weight [1, 10000].</summary>
    public static long BlkioToIoWeight(ushort weight) => weight == 0 ? 0 : 1 + ((long)weight - 10) * 9999 / 990;

    /// <summary>runc's conversion from cpu.shares [2, 262144] to cpu.weight [1, 10000].</summary>
    public static long SharesToWeight(ulong shares) => shares == 0 ? 0 : 1 + ((long)Math.Clamp(shares, 2UL, 262144UL) - 2) * 9999 / 262142;

    public IReadOnlyList<string> ThreadFiles => [];

    public void AddProcess(int pid) => CgroupFs.Write(_dir, "cgroup.procs", CgroupLayout.Format(pid));

    public IReadOnlyList<int> Processes() => CgroupFs.Pids(_dir);

    public long OomKillCount() => CgroupFs.KeyedValue(CgroupFs.TryRead(_dir, "memory.events"), "oom_kill");

    public void Destroy()
    {
        CgroupFs.Remove([_dir], _created, dir =>
        {
            if (File.Exists(Path.Combine(dir, "cgroup.kill"))) CgroupFs.Write(dir, "cgroup.kill", "1");
            else CgroupFs.KillAll(dir);
        });
    }

    private static string Limit(long v) => v < 0 ? "max" : CgroupLayout.Format(v);
}
