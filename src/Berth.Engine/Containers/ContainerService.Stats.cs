using System.Globalization;
using Berth.Runtime.Cgroups;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

/// <summary>One row of <c>stats</c>: docker's figures for a container over one sampling interval.</summary>
public sealed record ContainerStats
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public double CpuPercent { get; init; }
    public ulong MemoryUsage { get; init; }
    public ulong MemoryLimit { get; init; }
    public double MemoryPercent { get; init; }
    public ulong NetworkReceived { get; init; }
    public ulong NetworkSent { get; init; }
    public ulong BlockRead { get; init; }
    public ulong BlockWrite { get; init; }
    public ulong Pids { get; init; }
}

/// <summary>One reading of a container's counters, as the Engine API's stats report them (the client computes the
/// rates from two readings).</summary>
public sealed record ContainerStatsSample
{
    public required DateTimeOffset Read { get; init; }
    /// <summary>Null when the container is not running.</summary>
    public CgroupStats? Cgroup { get; init; }
    public required ulong SystemCpuNanoseconds { get; init; }
    public required int OnlineCpus { get; init; }
    /// <summary>The memory limit in effect: the cgroup's, else the host's memory.</summary>
    public required ulong MemoryLimit { get; init; }
    /// <summary>The container's interfaces but lo, by name (none for the host network or when not running).</summary>
    public IReadOnlyDictionary<string, InterfaceCounters> Networks { get; init; } = new Dictionary<string, InterfaceCounters>();
}

/// <summary>One interface's counters from /proc/PID/net/dev.</summary>
public sealed record InterfaceCounters(ulong RxBytes, ulong RxPackets, ulong RxErrors, ulong RxDropped, ulong TxBytes, ulong TxPackets, ulong TxErrors, ulong TxDropped);

public sealed partial class ContainerService
{
    /// <summary>A reading of the container's cgroup and interfaces now (<c>GET /containers/{id}/stats</c>).</summary>
    public ContainerStatsSample Sample(ContainerRow row)
    {
        row = Reconcile(row);
        var cgroup = row.Status == "running" ? CgroupStats.Read(CgroupManagers.For(CgroupLayout.Detect(), CgroupPathOf(row.Id))) : null;
        var hostMemory = HostMemory();
        return new ContainerStatsSample
        {
            Read = DateTimeOffset.UtcNow,
            Cgroup = cgroup,
            SystemCpuNanoseconds = SystemCpuNanoseconds(),
            OnlineCpus = Environment.ProcessorCount,
            MemoryLimit = cgroup?.MemoryLimit is { } l && l < hostMemory ? l : hostMemory,
            Networks = cgroup is null || ConfigOf(row).Request.Network == "host" ? new Dictionary<string, InterfaceCounters>() : Interfaces(row.Pid),
        };
    }

    /// <summary>/proc/PID/net/dev: each interface but lo.</summary>
    private static Dictionary<string, InterfaceCounters> Interfaces(int pid)
    {
        var result = new Dictionary<string, InterfaceCounters>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/net/dev").Skip(2))
            {
                var colon = line.IndexOf(':');
                if (colon < 0 || line[..colon].Trim() == "lo") continue;
                var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 12) continue;
                ulong N(int i) => ulong.TryParse(f[i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
                result[line[..colon].Trim()] = new InterfaceCounters(N(0), N(1), N(2), N(3), N(8), N(9), N(10), N(11));
            }
        }
        catch (IOException)
        {
        }
        return result;
    }

    /// <summary><c>stats</c>: reads each running container's cgroup twice, <paramref name="interval"/> apart, and
    /// computes docker's figures: CPU % as the container's share of the host's CPU time over the interval times
    /// the online CPUs (the docker CLI's calculateCPUPercentUnix), memory as usage less inactive file pages
    /// against the limit (the host's memory without one), block I/O, PIDs, and network bytes of the container's
    /// own interfaces (none but lo without a network: 0B, as docker). A container that is not running has zeros.</summary>
    public IReadOnlyList<ContainerStats> Stats(IReadOnlyList<ContainerRow> rows, TimeSpan interval, CancellationToken ct)
    {
        rows = rows.Select(Reconcile).ToList();
        var layout = CgroupLayout.Detect();
        var cgroups = rows.Select(r => r.Status == "running" ? CgroupManagers.For(layout, CgroupPathOf(r.Id)) : null).ToList();
        var before = cgroups.Select(c => c is null ? null : CgroupStats.Read(c)).ToList();
        var systemBefore = SystemCpuNanoseconds();
        if (rows.Any(r => r.Status == "running")) Task.Delay(interval, ct).GetAwaiter().GetResult();
        var systemAfter = SystemCpuNanoseconds();
        var hostMemory = HostMemory();
        var cpus = Environment.ProcessorCount;
        var result = new List<ContainerStats>();
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (cgroups[i] is not { } cgroup || before[i] is not { } first)
            {
                result.Add(new ContainerStats { Id = row.Id, Name = row.Name });
                continue;
            }
            var now = CgroupStats.Read(cgroup);
            var cpuDelta = now.CpuNanoseconds > first.CpuNanoseconds ? now.CpuNanoseconds - first.CpuNanoseconds : 0;
            var systemDelta = systemAfter > systemBefore ? systemAfter - systemBefore : 0;
            var limit = now.MemoryLimit is { } l && l < hostMemory ? l : hostMemory;
            var (rx, tx) = ConfigOf(row).Request.Network == "host" ? (0UL, 0UL) : NetworkBytes(row.Pid);
            result.Add(new ContainerStats
            {
                Id = row.Id,
                Name = row.Name,
                CpuPercent = systemDelta > 0 ? (double)cpuDelta / systemDelta * cpus * 100 : 0,
                MemoryUsage = now.MemoryUsage,
                MemoryLimit = limit,
                MemoryPercent = limit > 0 ? (double)now.MemoryUsage / limit * 100 : 0,
                NetworkReceived = rx,
                NetworkSent = tx,
                BlockRead = now.BlockRead,
                BlockWrite = now.BlockWrite,
                Pids = now.Pids,
            });
        }
        return result;
    }

    /// <summary>The host's CPU time in nanoseconds, from the first line of /proc/stat (USER_HZ ticks), as docker's
    /// getSystemCPUUsage.</summary>
    private static ulong SystemCpuNanoseconds()
    {
        var line = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal)) ?? "";
        ulong ticks = 0;
        foreach (var f in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(7))
            ticks += ulong.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : 0;
        return ticks * (1_000_000_000 / 100);
    }

    private static ulong HostMemory()
    {
        var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) ?? "";
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : 0;
    }

    /// <summary>Bytes received and sent on the container's interfaces other than lo (/proc/PID/net/dev).</summary>
    private static (ulong Rx, ulong Tx) NetworkBytes(int pid)
    {
        var all = Interfaces(pid).Values;
        return ((ulong)all.Sum(i => (decimal)i.RxBytes), (ulong)all.Sum(i => (decimal)i.TxBytes));
    }
}
