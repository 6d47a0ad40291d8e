using System.Text.Json.Serialization;

namespace Berth.Runtime.Spec;

/// <summary>The <c>linux</c> section of a runtime config.</summary>
/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md"/>
public sealed record LinuxSpec
{
    [JsonPropertyName("uidMappings")] public IReadOnlyList<LinuxIdMapping>? UidMappings { get; init; }
    [JsonPropertyName("gidMappings")] public IReadOnlyList<LinuxIdMapping>? GidMappings { get; init; }
    [JsonPropertyName("sysctl")] public IReadOnlyDictionary<string, string>? Sysctl { get; init; }
    [JsonPropertyName("resources")] public LinuxResources? Resources { get; init; }
    [JsonPropertyName("cgroupsPath")] public string? CgroupsPath { get; init; }
    [JsonPropertyName("namespaces")] public IReadOnlyList<LinuxNamespace>? Namespaces { get; init; }
    [JsonPropertyName("devices")] public IReadOnlyList<LinuxDevice>? Devices { get; init; }
    [JsonPropertyName("seccomp")] public LinuxSeccomp? Seccomp { get; init; }
    [JsonPropertyName("rootfsPropagation")] public string? RootfsPropagation { get; init; }
    [JsonPropertyName("maskedPaths")] public IReadOnlyList<string>? MaskedPaths { get; init; }
    [JsonPropertyName("readonlyPaths")] public IReadOnlyList<string>? ReadonlyPaths { get; init; }
    [JsonPropertyName("mountLabel")] public string? MountLabel { get; init; }
}

public sealed record LinuxIdMapping
{
    [JsonPropertyName("containerID")] public uint ContainerId { get; init; }
    [JsonPropertyName("hostID")] public uint HostId { get; init; }
    [JsonPropertyName("size")] public uint Size { get; init; }
}

/// <summary>A namespace to create (no path) or join (path).</summary>
public sealed record LinuxNamespace
{
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("path")] public string? Path { get; init; }
}

/// <summary>A device node to create in the container's /dev.</summary>
public sealed record LinuxDevice
{
    [JsonPropertyName("path")] public required string Path { get; init; }
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("major")] public long Major { get; init; }
    [JsonPropertyName("minor")] public long Minor { get; init; }
    [JsonPropertyName("fileMode")] public uint? FileMode { get; init; }
    [JsonPropertyName("uid")] public uint? Uid { get; init; }
    [JsonPropertyName("gid")] public uint? Gid { get; init; }
}

/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#control-groups"/>
public sealed record LinuxResources
{
    [JsonPropertyName("devices")] public IReadOnlyList<LinuxDeviceCgroup>? Devices { get; init; }
    [JsonPropertyName("memory")] public LinuxMemory? Memory { get; init; }
    [JsonPropertyName("cpu")] public LinuxCpu? Cpu { get; init; }
    [JsonPropertyName("pids")] public LinuxPids? Pids { get; init; }
    [JsonPropertyName("blockIO")] public LinuxBlockIO? BlockIO { get; init; }
    [JsonPropertyName("unified")] public IReadOnlyDictionary<string, string>? Unified { get; init; }
}

public sealed record LinuxDeviceCgroup
{
    [JsonPropertyName("allow")] public bool Allow { get; init; }
    [JsonPropertyName("type")] public string? Type { get; init; }
    [JsonPropertyName("major")] public long? Major { get; init; }
    [JsonPropertyName("minor")] public long? Minor { get; init; }
    [JsonPropertyName("access")] public string? Access { get; init; }
}

public sealed record LinuxMemory
{
    /// <summary>Bytes; -1 is unlimited.</summary>
    [JsonPropertyName("limit")] public long? Limit { get; init; }
    [JsonPropertyName("reservation")] public long? Reservation { get; init; }
    /// <summary>Memory plus swap, in bytes (cgroup v1's memsw); -1 is unlimited.</summary>
    [JsonPropertyName("swap")] public long? Swap { get; init; }
    [JsonPropertyName("swappiness")] public ulong? Swappiness { get; init; }
    [JsonPropertyName("disableOOMKiller")] public bool? DisableOomKiller { get; init; }
}

public sealed record LinuxCpu
{
    [JsonPropertyName("shares")] public ulong? Shares { get; init; }
    [JsonPropertyName("quota")] public long? Quota { get; init; }
    [JsonPropertyName("period")] public ulong? Period { get; init; }
    [JsonPropertyName("cpus")] public string? Cpus { get; init; }
    [JsonPropertyName("mems")] public string? Mems { get; init; }
}

/// <summary>Block I/O: a weight (10–1000) for the whole cgroup and per device, and per-device throttles.</summary>
/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#block-io"/>
public sealed record LinuxBlockIO
{
    [JsonPropertyName("weight")] public ushort? Weight { get; init; }
    [JsonPropertyName("weightDevice")] public IReadOnlyList<LinuxWeightDevice>? WeightDevice { get; init; }
    [JsonPropertyName("throttleReadBpsDevice")] public IReadOnlyList<LinuxThrottleDevice>? ThrottleReadBpsDevice { get; init; }
    [JsonPropertyName("throttleWriteBpsDevice")] public IReadOnlyList<LinuxThrottleDevice>? ThrottleWriteBpsDevice { get; init; }
    [JsonPropertyName("throttleReadIOPSDevice")] public IReadOnlyList<LinuxThrottleDevice>? ThrottleReadIOPSDevice { get; init; }
    [JsonPropertyName("throttleWriteIOPSDevice")] public IReadOnlyList<LinuxThrottleDevice>? ThrottleWriteIOPSDevice { get; init; }
}

public sealed record LinuxWeightDevice
{
    [JsonPropertyName("major")] public long Major { get; init; }
    [JsonPropertyName("minor")] public long Minor { get; init; }
    [JsonPropertyName("weight")] public ushort? Weight { get; init; }
}

public sealed record LinuxThrottleDevice
{
    [JsonPropertyName("major")] public long Major { get; init; }
    [JsonPropertyName("minor")] public long Minor { get; init; }
    /// <summary>Bytes or operations per second; 0 lifts the limit.</summary>
    [JsonPropertyName("rate")] public ulong Rate { get; init; }
}

public sealed record LinuxPids
{
    /// <summary>Maximum number of tasks; 0 or -1 is unlimited.</summary>
    [JsonPropertyName("limit")] public long Limit { get; init; }
}

/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#seccomp"/>
public sealed record LinuxSeccomp
{
    [JsonPropertyName("defaultAction")] public required string DefaultAction { get; init; }
    [JsonPropertyName("defaultErrnoRet")] public uint? DefaultErrnoRet { get; init; }
    [JsonPropertyName("architectures")] public IReadOnlyList<string>? Architectures { get; init; }
    [JsonPropertyName("flags")] public IReadOnlyList<string>? Flags { get; init; }
    [JsonPropertyName("syscalls")] public IReadOnlyList<LinuxSyscall>? Syscalls { get; init; }
}

public sealed record LinuxSyscall
{
    [JsonPropertyName("names")] public required IReadOnlyList<string> Names { get; init; }
    [JsonPropertyName("action")] public required string Action { get; init; }
    [JsonPropertyName("errnoRet")] public uint? ErrnoRet { get; init; }
    [JsonPropertyName("args")] public IReadOnlyList<LinuxSeccompArg>? Args { get; init; }
}

public sealed record LinuxSeccompArg
{
    [JsonPropertyName("index")] public uint Index { get; init; }
    [JsonPropertyName("value")] public ulong Value { get; init; }
    [JsonPropertyName("valueTwo")] public ulong? ValueTwo { get; init; }
    [JsonPropertyName("op")] public required string Op { get; init; }
}
