using System.Text.Json.Serialization;

namespace Berth.Api.Dto;

/// <summary><c>GET /containers/{id}/stats</c>: dockerd's StatsJSON (api/types/container/stats.go), for cgroup v1 and
/// v2 alike; the client computes CPU % from two readings (<c>precpu_stats</c> is the previous one).</summary>
public sealed record StatsResponse
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("read")] public required string Read { get; init; }
    [JsonPropertyName("preread")] public required string PreRead { get; init; }
    [JsonPropertyName("pids_stats")] public required PidsStats PidsStats { get; init; }
    [JsonPropertyName("blkio_stats")] public required BlkioStats BlkioStats { get; init; }
    [JsonPropertyName("num_procs")] public uint NumProcs { get; init; }
    [JsonPropertyName("storage_stats")] public Dictionary<string, string> StorageStats { get; init; } = [];
    [JsonPropertyName("cpu_stats")] public required CpuStats CpuStats { get; init; }
    [JsonPropertyName("precpu_stats")] public required CpuStats PreCpuStats { get; init; }
    [JsonPropertyName("memory_stats")] public required MemoryStats MemoryStats { get; init; }
    [JsonPropertyName("networks"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, NetworkStats>? Networks { get; init; }
}

public sealed record PidsStats
{
    [JsonPropertyName("current"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Current { get; init; }
    [JsonPropertyName("limit"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Limit { get; init; }
}

public sealed record BlkioStats
{
    [JsonPropertyName("io_service_bytes_recursive")] public List<BlkioEntry>? IoServiceBytesRecursive { get; init; }
    [JsonPropertyName("io_serviced_recursive")] public List<BlkioEntry>? IoServicedRecursive { get; init; }
    [JsonPropertyName("io_queue_recursive")] public List<BlkioEntry>? IoQueueRecursive { get; init; }
    [JsonPropertyName("io_service_time_recursive")] public List<BlkioEntry>? IoServiceTimeRecursive { get; init; }
    [JsonPropertyName("io_wait_time_recursive")] public List<BlkioEntry>? IoWaitTimeRecursive { get; init; }
    [JsonPropertyName("io_merged_recursive")] public List<BlkioEntry>? IoMergedRecursive { get; init; }
    [JsonPropertyName("io_time_recursive")] public List<BlkioEntry>? IoTimeRecursive { get; init; }
    [JsonPropertyName("sectors_recursive")] public List<BlkioEntry>? SectorsRecursive { get; init; }
}

public sealed record BlkioEntry(
    [property: JsonPropertyName("major")] ulong Major,
    [property: JsonPropertyName("minor")] ulong Minor,
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("value")] ulong Value);

public sealed record CpuStats
{
    [JsonPropertyName("cpu_usage")] public required CpuUsage CpuUsage { get; init; }
    [JsonPropertyName("system_cpu_usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong SystemUsage { get; init; }
    [JsonPropertyName("online_cpus"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public uint OnlineCpus { get; init; }
    [JsonPropertyName("throttling_data")] public ThrottlingData ThrottlingData { get; init; } = new();
}

public sealed record CpuUsage
{
    [JsonPropertyName("total_usage")] public ulong TotalUsage { get; init; }
    [JsonPropertyName("usage_in_kernelmode")] public ulong UsageInKernelmode { get; init; }
    [JsonPropertyName("usage_in_usermode")] public ulong UsageInUsermode { get; init; }
}

public sealed record ThrottlingData
{
    [JsonPropertyName("periods")] public ulong Periods { get; init; }
    [JsonPropertyName("throttled_periods")] public ulong ThrottledPeriods { get; init; }
    [JsonPropertyName("throttled_time")] public ulong ThrottledTime { get; init; }
}

public sealed record MemoryStats
{
    [JsonPropertyName("usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Usage { get; init; }
    [JsonPropertyName("stats"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, ulong>? Stats { get; init; }
    [JsonPropertyName("limit"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Limit { get; init; }
}

public sealed record NetworkStats
{
    [JsonPropertyName("rx_bytes")] public ulong RxBytes { get; init; }
    [JsonPropertyName("rx_packets")] public ulong RxPackets { get; init; }
    [JsonPropertyName("rx_errors")] public ulong RxErrors { get; init; }
    [JsonPropertyName("rx_dropped")] public ulong RxDropped { get; init; }
    [JsonPropertyName("tx_bytes")] public ulong TxBytes { get; init; }
    [JsonPropertyName("tx_packets")] public ulong TxPackets { get; init; }
    [JsonPropertyName("tx_errors")] public ulong TxErrors { get; init; }
    [JsonPropertyName("tx_dropped")] public ulong TxDropped { get; init; }
}

/// <summary><c>POST /containers/{id}/update</c>'s body (docker's UpdateConfig): zero leaves a value as it is.</summary>
public sealed record ContainerUpdateBody
{
    public long Memory { get; init; }
    public long MemorySwap { get; init; }
    public long MemoryReservation { get; init; }
    public long NanoCpus { get; init; }
    public long CpuShares { get; init; }
    public long CpuPeriod { get; init; }
    public long CpuQuota { get; init; }
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }
    public long? PidsLimit { get; init; }
    public RestartPolicyBody? RestartPolicy { get; init; }
    public ushort BlkioWeight { get; init; }
    public long KernelMemory { get; init; }
}

public sealed record ContainerUpdateResponse(List<string> Warnings);
