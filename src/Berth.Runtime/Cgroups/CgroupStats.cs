using System.Globalization;

namespace Berth.Runtime.Cgroups;

/// <summary>One reading of a container's cgroup counters, the ones <c>docker stats</c> shows: CPU time, memory
/// (usage less the inactive page cache, as the docker CLI computes it), its limit, block I/O and PIDs.</summary>
public sealed record CgroupStats
{
    public required ulong CpuNanoseconds { get; init; }
    public required ulong MemoryUsage { get; init; }
    /// <summary>The memory limit, or null when there is none (the host's memory then bounds it).</summary>
    public ulong? MemoryLimit { get; init; }
    public required ulong BlockRead { get; init; }
    public required ulong BlockWrite { get; init; }
    /// <summary>Bytes per device and operation: v1's <c>blkio.throttle.io_service_bytes</c> lines (Read, Write, Sync,
    /// Async, Discard, Total), v2's <c>io.stat</c> rbytes and wbytes as "read" and "write" (dockerd's shapes).</summary>
    public IReadOnlyList<BlkioStatEntry> IoServiceBytes { get; init; } = [];
    /// <summary>Operations per device and kind: v1's <c>blkio.throttle.io_serviced</c>; null on v2 (dockerd reports
    /// only the bytes there).</summary>
    public IReadOnlyList<BlkioStatEntry>? IoServiced { get; init; }
    public required ulong Pids { get; init; }
    /// <summary>The file pages not recently used that <see cref="MemoryUsage"/> leaves out (inactive_file in v2's
    /// memory.stat, total_inactive_file in v1's): docker's API reports the usage with them and the client subtracts.</summary>
    public ulong InactiveFile { get; init; }
    /// <summary>"v1" or "v2".</summary>
    public string Version { get; init; } = "v2";

    /// <summary>Reads cgroup v2 (cpu.stat, memory.current/max/stat, io.stat, pids.current) or v1 (cpuacct.usage,
    /// memory.usage_in_bytes/limit_in_bytes/stat, blkio.throttle.io_service_bytes_recursive, pids.current).</summary>
    public static CgroupStats Read(ICgroupManager cgroup)
    {
        if (cgroup.Kind == "v2")
        {
            var dir = cgroup.Paths[""];
            var io = IoStat(CgroupFs.TryRead(dir, "io.stat"));
            var usage = Number(CgroupFs.TryRead(dir, "memory.current"));
            var inactive = (ulong)CgroupFs.KeyedValue(CgroupFs.TryRead(dir, "memory.stat"), "inactive_file");
            return new CgroupStats
            {
                CpuNanoseconds = (ulong)CgroupFs.KeyedValue(CgroupFs.TryRead(dir, "cpu.stat"), "usage_usec") * 1000,
                MemoryUsage = usage > inactive ? usage - inactive : usage,
                MemoryLimit = CgroupFs.TryRead(dir, "memory.max")?.Trim() is { } max && max != "max" ? Number(max) : null,
                BlockRead = Sum(io, "read"),
                BlockWrite = Sum(io, "write"),
                IoServiceBytes = io,
                Pids = Number(CgroupFs.TryRead(dir, "pids.current")),
                InactiveFile = usage > inactive ? inactive : 0,
            };
        }
        string? File(string name) => cgroup.Paths.Values.Select(d => CgroupFs.TryRead(d, name)).FirstOrDefault(t => t is not null);
        var v1Usage = Number(File("memory.usage_in_bytes"));
        var v1Inactive = (ulong)CgroupFs.KeyedValue(File("memory.stat"), "total_inactive_file");
        var limit = Number(File("memory.limit_in_bytes"));
        // The throttle layer's counters (dockerd's fallback without CFQ, and the only ones a kernel without CFQ or
        // BFQ has); a container's cgroup is a leaf, so they are its whole subtree's.
        var bytes = Blkio(File("blkio.throttle.io_service_bytes"));
        return new CgroupStats
        {
            CpuNanoseconds = Number(File("cpuacct.usage")),
            MemoryUsage = v1Usage > v1Inactive ? v1Usage - v1Inactive : v1Usage,
            // v1 writes "no limit" as the largest page-aligned long.
            MemoryLimit = limit is 0 or >= 0x7FFFFFFFFFFFF000 ? null : limit,
            BlockRead = Sum(bytes, "Read"),
            BlockWrite = Sum(bytes, "Write"),
            IoServiceBytes = bytes,
            IoServiced = Blkio(File("blkio.throttle.io_serviced")),
            Pids = Number(File("pids.current")),
            InactiveFile = v1Usage > v1Inactive ? v1Inactive : 0,
            Version = "v1",
        };
    }

    private static ulong Number(string? text) =>
        ulong.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static ulong Sum(IReadOnlyList<BlkioStatEntry> entries, string op) =>
        entries.Where(e => e.Op == op).Aggregate(0UL, (total, e) => total + e.Value);

    /// <summary>io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N …" per device, as a "read" and a "write" entry each.</summary>
    private static List<BlkioStatEntry> IoStat(string? text)
    {
        var entries = new List<BlkioStatEntry>();
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || !Device(fields[0], out var major, out var minor)) continue;
            ulong Field(string key) => fields.Where(f => f.StartsWith(key + "=", StringComparison.Ordinal)).Select(f => Number(f[(key.Length + 1)..])).FirstOrDefault();
            entries.Add(new BlkioStatEntry(major, minor, "read", Field("rbytes")));
            entries.Add(new BlkioStatEntry(major, minor, "write", Field("wbytes")));
        }
        return entries;
    }

    /// <summary>v1 blkio: "MAJ:MIN OP N" per device and operation (the closing "Total N" line is the sum, skipped).</summary>
    private static List<BlkioStatEntry> Blkio(string? text)
    {
        var entries = new List<BlkioStatEntry>();
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 3 && Device(parts[0], out var major, out var minor)) entries.Add(new BlkioStatEntry(major, minor, parts[1], Number(parts[2])));
        }
        return entries;
    }

    private static bool Device(string text, out ulong major, out ulong minor)
    {
        minor = 0;
        var colon = text.IndexOf(':');
        return ulong.TryParse(text.AsSpan(0, Math.Max(colon, 0)), NumberStyles.None, CultureInfo.InvariantCulture, out major)
               & ulong.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out minor) && colon > 0;
    }
}

/// <summary>One block device counter (docker's BlkioStatEntry).</summary>
public sealed record BlkioStatEntry(ulong Major, ulong Minor, string Op, ulong Value);
