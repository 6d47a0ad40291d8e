using System.Text.Json.Serialization;

namespace Berth.Engine.Containers;

/// <summary><c>docker container inspect</c>'s shape (the Engine API's ContainerJSON), the fields berth has.</summary>
/// <see href="https://docs.docker.com/reference/api/engine/version/v1.47/#tag/Container/operation/ContainerInspect"/>
public sealed record ContainerInspect
{
    public required string Id { get; init; }
    public required string Created { get; init; }
    public required string Path { get; init; }
    public required IReadOnlyList<string> Args { get; init; }
    public required ContainerStateJson State { get; init; }
    public required string Image { get; init; }
    public required string ResolvConfPath { get; init; }
    public required string HostnamePath { get; init; }
    public required string HostsPath { get; init; }
    public required string LogPath { get; init; }
    public required string Name { get; init; }
    public int RestartCount { get; init; }
    public string Driver { get; init; } = "overlay2";
    public string Platform { get; init; } = "linux";
    public string MountLabel { get; init; } = "";
    public string ProcessLabel { get; init; } = "";
    public string AppArmorProfile { get; init; } = "";
    /// <summary>The IDs of running exec sessions; berth's exec has none to name (null, as docker's with none).</summary>
    public IReadOnlyList<string>? ExecIDs { get; init; }
    public required HostConfigJson HostConfig { get; init; }
    public required GraphDriverJson GraphDriver { get; init; }
    public required IReadOnlyList<MountPointJson> Mounts { get; init; }
    public required ContainerConfigJson Config { get; init; }
    public required NetworkSettingsJson NetworkSettings { get; init; }
}

public sealed record ContainerStateJson
{
    public required string Status { get; init; }
    public bool Running { get; init; }
    public bool Paused { get; init; }
    public bool Restarting { get; init; }
    public bool OOMKilled { get; init; }
    public bool Dead { get; init; }
    public int Pid { get; init; }
    public int ExitCode { get; init; }
    public string Error { get; init; } = "";
    public required string StartedAt { get; init; }
    public required string FinishedAt { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public HealthJson? Health { get; init; }
}

/// <summary>HostConfig with every field docker's has, in docker's order (templates such as
/// <c>{{.HostConfig.RestartPolicy.Name}}</c> must find them); what berth does not support has docker's default.</summary>
public sealed record HostConfigJson
{
    public IReadOnlyList<string>? Binds { get; init; }
    public string ContainerIDFile { get; init; } = "";
    public LogConfigJson LogConfig { get; init; } = new();
    public required string NetworkMode { get; init; }
    public IReadOnlyDictionary<string, IReadOnlyList<PortBindingJson>> PortBindings { get; init; } = new Dictionary<string, IReadOnlyList<PortBindingJson>>();
    public RestartPolicyJson RestartPolicy { get; init; } = new();
    public bool AutoRemove { get; init; }
    public string VolumeDriver { get; init; } = "";
    public IReadOnlyList<string>? VolumesFrom { get; init; }
    public IReadOnlyList<string>? CapAdd { get; init; }
    public IReadOnlyList<string>? CapDrop { get; init; }
    /// <summary>berth always gives a container its own cgroup namespace.</summary>
    public string CgroupnsMode { get; init; } = "private";
    public IReadOnlyList<string> Dns { get; init; } = [];
    public IReadOnlyList<string> DnsOptions { get; init; } = [];
    public IReadOnlyList<string> DnsSearch { get; init; } = [];
    public IReadOnlyList<string>? ExtraHosts { get; init; }
    public IReadOnlyList<string>? GroupAdd { get; init; }
    public string IpcMode { get; init; } = "private";
    public string Cgroup { get; init; } = "";
    public IReadOnlyList<string>? Links { get; init; }
    public int OomScoreAdj { get; init; }
    public string PidMode { get; init; } = "";
    public bool Privileged { get; init; }
    public bool PublishAllPorts { get; init; }
    public bool ReadonlyRootfs { get; init; }
    public IReadOnlyList<string>? SecurityOpt { get; init; }
    public IReadOnlyDictionary<string, string>? Tmpfs { get; init; }
    public string UTSMode { get; init; } = "";
    public string UsernsMode { get; init; } = "";
    public long ShmSize { get; init; } = 64L << 20;
    public string Runtime { get; init; } = "berth";
    public IReadOnlyList<int> ConsoleSize { get; init; } = [0, 0];
    public string Isolation { get; init; } = "";
    public long CpuShares { get; init; }
    public long Memory { get; init; }
    public long NanoCpus { get; init; }
    public string CgroupParent { get; init; } = "";
    public int BlkioWeight { get; init; }
    public IReadOnlyList<WeightDeviceJson> BlkioWeightDevice { get; init; } = [];
    public IReadOnlyList<ThrottleDeviceJson> BlkioDeviceReadBps { get; init; } = [];
    public IReadOnlyList<ThrottleDeviceJson> BlkioDeviceWriteBps { get; init; } = [];
    public IReadOnlyList<ThrottleDeviceJson> BlkioDeviceReadIOps { get; init; } = [];
    public IReadOnlyList<ThrottleDeviceJson> BlkioDeviceWriteIOps { get; init; } = [];
    public long CpuPeriod { get; init; }
    public long CpuQuota { get; init; }
    public long CpuRealtimePeriod { get; init; }
    public long CpuRealtimeRuntime { get; init; }
    public string CpusetCpus { get; init; } = "";
    public string CpusetMems { get; init; } = "";
    public IReadOnlyList<DeviceJson> Devices { get; init; } = [];
    public IReadOnlyList<string>? DeviceCgroupRules { get; init; }
    public IReadOnlyList<string>? DeviceRequests { get; init; }
    public long KernelMemory { get; init; }
    public long KernelMemoryTCP { get; init; }
    public long MemoryReservation { get; init; }
    public long MemorySwap { get; init; }
    public long? MemorySwappiness { get; init; }
    public bool OomKillDisable { get; init; }
    public long? PidsLimit { get; init; }
    public IReadOnlyList<UlimitJson> Ulimits { get; init; } = [];
    public long CpuCount { get; init; }
    public long CpuPercent { get; init; }
    public long IOMaximumIOps { get; init; }
    public long IOMaximumBandwidth { get; init; }
    public IReadOnlyList<string>? MaskedPaths { get; init; }
    public IReadOnlyList<string>? ReadonlyPaths { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyDictionary<string, string>? Sysctls { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? Init { get; init; }
}

public sealed record UlimitJson(string Name, long Hard, long Soft);

/// <summary>HostConfig.BlkioWeightDevice's entries.</summary>
public sealed record WeightDeviceJson(string Path, ushort Weight);

/// <summary>HostConfig.BlkioDevice{Read,Write}{Bps,IOps}'s entries.</summary>
public sealed record ThrottleDeviceJson(string Path, ulong Rate);

/// <summary>A <c>--device</c> as docker's inspect shows it.</summary>
public sealed record DeviceJson(string PathOnHost, string PathInContainer, string CgroupPermissions);

public sealed record RestartPolicyJson
{
    public string Name { get; init; } = "no";
    public int MaximumRetryCount { get; init; }
}

public sealed record LogConfigJson
{
    public string Type { get; init; } = "json-file";
    public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();
}

public sealed record GraphDriverJson
{
    public required IReadOnlyDictionary<string, string> Data { get; init; }
    public string Name { get; init; } = "overlay2";
}

public sealed record MountPointJson
{
    public required string Type { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Name { get; init; }
    public required string Source { get; init; }
    public required string Destination { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Driver { get; init; }
    public string Mode { get; init; } = "";
    public bool RW { get; init; }
    public string Propagation { get; init; } = "";
}

public sealed record ContainerConfigJson
{
    public required string Hostname { get; init; }
    public string Domainname { get; init; } = "";
    public required string User { get; init; }
    public bool AttachStdin { get; init; }
    public bool AttachStdout { get; init; }
    public bool AttachStderr { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyDictionary<string, EmptyJson>? ExposedPorts { get; init; }
    public bool Tty { get; init; }
    public bool OpenStdin { get; init; }
    public bool StdinOnce { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Berth.Oci.HealthConfig? Healthcheck { get; init; }
    public required string Image { get; init; }
    public IReadOnlyDictionary<string, EmptyJson>? Volumes { get; init; }
    public required string WorkingDir { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string>? OnBuild { get; init; }
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? StopSignal { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? StopTimeout { get; init; }
}

public sealed record EmptyJson;

/// <summary>NetworkSettings with docker's fields; berth's networks (none, host) have no addresses of their own.</summary>
public sealed record NetworkSettingsJson
{
    public string Bridge { get; init; } = "";
    public string SandboxID { get; init; } = "";
    public bool HairpinMode { get; init; }
    public string LinkLocalIPv6Address { get; init; } = "";
    public int LinkLocalIPv6PrefixLen { get; init; }
    /// <summary>Every exposed port: its host bindings while running, null when not published.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<PortBindingJson>?> Ports { get; init; } = new Dictionary<string, IReadOnlyList<PortBindingJson>?>();
    public string SandboxKey { get; init; } = "";
    public IReadOnlyList<string>? SecondaryIPAddresses { get; init; }
    public IReadOnlyList<string>? SecondaryIPv6Addresses { get; init; }
    public string EndpointID { get; init; } = "";
    public string Gateway { get; init; } = "";
    public string GlobalIPv6Address { get; init; } = "";
    public int GlobalIPv6PrefixLen { get; init; }
    public string IPAddress { get; init; } = "";
    public int IPPrefixLen { get; init; }
    public string IPv6Gateway { get; init; } = "";
    public string MacAddress { get; init; } = "";
    public IReadOnlyDictionary<string, EndpointSettingsJson> Networks { get; init; } = new Dictionary<string, EndpointSettingsJson>();
}

/// <summary>One host binding of a port (<c>{"HostIp":"0.0.0.0","HostPort":"8080"}</c>).</summary>
public sealed record PortBindingJson
{
    public string HostIp { get; init; } = "";
    public string HostPort { get; init; } = "";
}

/// <summary>A container's endpoint on one network (docker's EndpointSettings); empty addresses while it is not
/// running (addresses are handed out at start and released at the exit).</summary>
public sealed record EndpointSettingsJson
{
    public EndpointIpamConfigJson? IPAMConfig { get; init; }
    public IReadOnlyList<string>? Links { get; init; }
    public IReadOnlyList<string>? Aliases { get; init; }
    public string NetworkID { get; init; } = "";
    public string EndpointID { get; init; } = "";
    public string Gateway { get; init; } = "";
    public string IPAddress { get; init; } = "";
    public int IPPrefixLen { get; init; }
    public string IPv6Gateway { get; init; } = "";
    public string GlobalIPv6Address { get; init; } = "";
    public int GlobalIPv6PrefixLen { get; init; }
    public string MacAddress { get; init; } = "";
    public IReadOnlyDictionary<string, string>? DriverOpts { get; init; }
    /// <summary>docker 25+: every name the container answers to on this network (name, aliases, short ID,
    /// hostname); null where there is no name resolution (the default bridge, none, host).</summary>
    public IReadOnlyList<string>? DNSNames { get; init; }
}

/// <summary>The addresses a container asked for on a network (<c>--ip</c>, <c>--ip6</c>); null when it asked none.</summary>
public sealed record EndpointIpamConfigJson
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? IPv4Address { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? IPv6Address { get; init; }
}

/// <summary><c>docker volume inspect</c>'s shape.</summary>
public sealed record VolumeInspect
{
    public required string CreatedAt { get; init; }
    public string Driver { get; init; } = "local";
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    public required string Mountpoint { get; init; }
    public required string Name { get; init; }
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
    public string Scope { get; init; } = "local";
}
