using System.Text.Json;

namespace Berth.Api.Dto;

/// <summary><c>POST /containers/create</c>'s body: the container Config's fields at the top level, HostConfig and
/// NetworkingConfig nested. Unknown fields are ignored (clients send newer APIs' fields at older versions);
/// property names match case-insensitively, as Go's encoding/json does.</summary>
/// <see href="https://docs.docker.com/reference/api/engine/version/v1.47/#tag/Container/operation/ContainerCreate"/>
public sealed record ContainerCreateBody
{
    public string? Hostname { get; init; }
    public string? Domainname { get; init; }
    public string? User { get; init; }
    public bool AttachStdin { get; init; }
    public bool AttachStdout { get; init; }
    public bool AttachStderr { get; init; }
    public bool Tty { get; init; }
    public bool OpenStdin { get; init; }
    public bool StdinOnce { get; init; }
    public List<string>? Env { get; init; }
    public JsonElement Cmd { get; init; }
    public JsonElement Entrypoint { get; init; }
    public string? Image { get; init; }
    public Dictionary<string, JsonElement>? Volumes { get; init; }
    /// <summary><c>{"80/tcp": {}}</c>.</summary>
    public Dictionary<string, JsonElement>? ExposedPorts { get; init; }
    public string? WorkingDir { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
    public string? StopSignal { get; init; }
    public int? StopTimeout { get; init; }
    public HealthcheckBody? Healthcheck { get; init; }
    /// <summary>The MAC of the container's interface (API &lt; 1.44; later APIs say it per endpoint).</summary>
    public string? MacAddress { get; init; }
    public HostConfigBody? HostConfig { get; init; }
    public NetworkingConfigBody? NetworkingConfig { get; init; }
}

/// <summary><c>{"Test": ["CMD-SHELL", "…"], "Interval": 1000000000, …}</c>, durations in nanoseconds; fields left out
/// or null (compose sends <c>"StartPeriod": null</c>; Go reads null as zero) take the image's HEALTHCHECK's, and
/// <c>["NONE"]</c> disables it.</summary>
public sealed record HealthcheckBody
{
    public List<string>? Test { get; init; }
    public long? Interval { get; init; }
    public long? Timeout { get; init; }
    public long? StartPeriod { get; init; }
    public long? StartInterval { get; init; }
    public int? Retries { get; init; }
}

public sealed record HostConfigBody
{
    public List<string>? Binds { get; init; }
    public List<MountBody>? Mounts { get; init; }
    /// <summary><c>--volumes-from CONTAINER[:ro|rw]</c>.</summary>
    public List<string>? VolumesFrom { get; init; }
    public Dictionary<string, string>? Tmpfs { get; init; }
    public LogConfigBody? LogConfig { get; init; }
    public string? NetworkMode { get; init; }
    /// <summary><c>{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}</c>.</summary>
    public Dictionary<string, List<PortBindingBody>?>? PortBindings { get; init; }
    public bool PublishAllPorts { get; init; }
    public RestartPolicyBody? RestartPolicy { get; init; }
    public bool AutoRemove { get; init; }
    public List<string>? CapAdd { get; init; }
    public List<string>? CapDrop { get; init; }
    public List<string>? Dns { get; init; }
    public List<string>? DnsOptions { get; init; }
    public List<string>? DnsSearch { get; init; }
    public List<string>? ExtraHosts { get; init; }
    public List<string>? GroupAdd { get; init; }
    public string? IpcMode { get; init; }
    public int OomScoreAdj { get; init; }
    public string? PidMode { get; init; }
    public bool Privileged { get; init; }
    public bool ReadonlyRootfs { get; init; }
    public List<string>? SecurityOpt { get; init; }
    public string? UTSMode { get; init; }
    public long ShmSize { get; init; }
    public Dictionary<string, string>? Sysctls { get; init; }
    public long CpuShares { get; init; }
    public long Memory { get; init; }
    public long NanoCpus { get; init; }
    public long CpuPeriod { get; init; }
    public long CpuQuota { get; init; }
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }
    public List<DeviceBody>? Devices { get; init; }
    public long MemoryReservation { get; init; }
    public long MemorySwap { get; init; }
    public long? MemorySwappiness { get; init; }
    public bool? OomKillDisable { get; init; }
    public ushort BlkioWeight { get; init; }
    public List<WeightDeviceBody>? BlkioWeightDevice { get; init; }
    public List<ThrottleDeviceBody>? BlkioDeviceReadBps { get; init; }
    public List<ThrottleDeviceBody>? BlkioDeviceWriteBps { get; init; }
    public List<ThrottleDeviceBody>? BlkioDeviceReadIOps { get; init; }
    public List<ThrottleDeviceBody>? BlkioDeviceWriteIOps { get; init; }
    public long? PidsLimit { get; init; }
    public List<UlimitBody>? Ulimits { get; init; }
    public bool? Init { get; init; }
}

public sealed record MountBody
{
    public string? Target { get; init; }
    public string? Source { get; init; }
    public string? Type { get; init; }
    public bool ReadOnly { get; init; }
    public MountBindOptions? BindOptions { get; init; }
    public MountVolumeOptions? VolumeOptions { get; init; }
    public MountTmpfsOptions? TmpfsOptions { get; init; }
}

public sealed record MountBindOptions
{
    public string? Propagation { get; init; }
}

public sealed record MountVolumeOptions
{
    public bool NoCopy { get; init; }
}

public sealed record MountTmpfsOptions
{
    public long SizeBytes { get; init; }
    public int Mode { get; init; }
}

public sealed record LogConfigBody
{
    public string? Type { get; init; }
    public Dictionary<string, string>? Config { get; init; }
}

public sealed record RestartPolicyBody
{
    public string? Name { get; init; }
    public int MaximumRetryCount { get; init; }
}

/// <summary>HostConfig.BlkioWeightDevice's entries.</summary>
public sealed record WeightDeviceBody
{
    public string? Path { get; init; }
    public ushort Weight { get; init; }
}

/// <summary>HostConfig.BlkioDevice{Read,Write}{Bps,IOps}'s entries.</summary>
public sealed record ThrottleDeviceBody
{
    public string? Path { get; init; }
    public ulong Rate { get; init; }
}

public sealed record DeviceBody
{
    public string? PathOnHost { get; init; }
    public string? PathInContainer { get; init; }
    public string? CgroupPermissions { get; init; }
}

public sealed record UlimitBody
{
    public string? Name { get; init; }
    public long Soft { get; init; }
    public long Hard { get; init; }
}

public sealed record NetworkingConfigBody
{
    public Dictionary<string, JsonElement>? EndpointsConfig { get; init; }
}

public sealed record PortBindingBody
{
    public string? HostIp { get; init; }
    public string? HostPort { get; init; }
}
