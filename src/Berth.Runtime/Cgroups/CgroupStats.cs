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
            var (read, write) = IoStat(CgroupFs.TryRead(dir, "io.stat"));
            var usage = Number(CgroupFs.TryRead(dir, "memory.current"));
            var inactive = (ulong)CgroupFs.KeyedValue(CgroupFs.TryRead(dir, "memory.stat"), "inactive_file");
            return new CgroupStats
            {
                CpuNanoseconds = (ulong)CgroupFs.KeyedValue(CgroupFs.TryRead(dir, "cpu.stat"), "usage_usec") * 1000,
                MemoryUsage = usage > inactive ? usage - inactive : usage,
                MemoryLimit = CgroupFs.TryRead(dir, "memory.max")?.Trim() is { } max && max != "max" ? Number(max) : null,
                BlockRead = read,
                BlockWrite = write,
                Pids = Number(CgroupFs.TryRead(dir, "pids.current")),
                InactiveFile = usage > inactive ? inactive : 0,
            };
        }
        string? File(string name) => cgroup.Paths.Values.Select(d => CgroupFs.TryRead(d, name)).FirstOrDefault(t => t is not null);
        var v1Usage = Number(File("memory.usage_in_bytes"));
        var v1Inactive = (ulong)CgroupFs.KeyedValue(File("memory.stat"), "total_inactive_file");
        var limit = Number(File("memory.limit_in_bytes"));
        var (r, w) = Blkio(File("blkio.throttle.io_service_bytes_recursive"));
        return new CgroupStats
        {
            CpuNanoseconds = Number(File("cpuacct.usage")),
            MemoryUsage = v1Usage > v1Inactive ? v1Usage - v1Inactive : v1Usage,
            // v1 writes "no limit" as the largest page-aligned long.
            MemoryLimit = limit is 0 or >= 0x7FFFFFFFFFFFF000 ? null : limit,
            BlockRead = r,
            BlockWrite = w,
            Pids = Number(File("pids.current")),
            InactiveFile = v1Usage > v1Inactive ? v1Inactive : 0,
            Version = "v1",
        };
    }

    private static ulong Number(string? text) =>
        ulong.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;

    /// <summary>io.stat: "MAJ:MIN rbytes=N wbytes=N …" per device.</summary>
    private static (ulong Read, ulong Write) IoStat(string? text)
    {
        ulong read = 0, write = 0;
        foreach (var field in (text ?? "").Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (field.StartsWith("rbytes=", StringComparison.Ordinal)) read += Number(field[7..]);
            else if (field.StartsWith("wbytes=", StringComparison.Ordinal)) write += Number(field[7..]);
        }
        return (read, write);
    }

    /// <summary>blkio: "MAJ:MIN Read N" and "MAJ:MIN Write N" per device (the "Total" line is skipped).</summary>
    private static (ulong Read, ulong Write) Blkio(string? text)
    {
        ulong read = 0, write = 0;
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3) continue;
            if (parts[1] == "Read") read += Number(parts[2]);
            else if (parts[1] == "Write") write += Number(parts[2]);
        }
        return (read, write);
    }
}
