using System.Text.Json.Serialization;

namespace Berth.Engine.Containers;

/// <summary>What <c>create</c>/<c>run</c> asks for, as the CLI (or later the Engine API) parsed it. Stored with the
/// container (JSON) so <c>start</c>, <c>restart</c> and <c>inspect</c> see the same request.</summary>
public sealed record ContainerRequest
{
    [JsonPropertyName("image")] public required string Image { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    /// <summary>Replaces the image's Cmd; null keeps it.</summary>
    [JsonPropertyName("cmd")] public IReadOnlyList<string>? Cmd { get; init; }
    /// <summary>Replaces the image's Entrypoint; empty clears it (<c>--entrypoint ""</c>); null keeps it.</summary>
    [JsonPropertyName("entrypoint")] public IReadOnlyList<string>? Entrypoint { get; init; }
    [JsonPropertyName("env")] public IReadOnlyList<string> Env { get; init; } = [];
    [JsonPropertyName("workingDir")] public string? WorkingDir { get; init; }
    [JsonPropertyName("user")] public string? User { get; init; }
    [JsonPropertyName("hostname")] public string? Hostname { get; init; }
    [JsonPropertyName("labels")] public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    [JsonPropertyName("tty")] public bool Tty { get; init; }
    [JsonPropertyName("openStdin")] public bool OpenStdin { get; init; }
    [JsonPropertyName("autoRemove")] public bool AutoRemove { get; init; }
    [JsonPropertyName("stopSignal")] public string? StopSignal { get; init; }
    /// <summary>Seconds <c>stop</c> waits before SIGKILL; null is docker's 10.</summary>
    [JsonPropertyName("stopTimeout")] public int? StopTimeout { get; init; }
    [JsonPropertyName("init")] public bool Init { get; init; }
    /// <summary>Binds (<c>-v</c>, <c>HostConfig.Binds</c>), as the front end parsed them (<see cref="BindSyntax"/>);
    /// inspect shows them again in that syntax.</summary>
    [JsonPropertyName("bindMounts")] public IReadOnlyList<MountRequest> Binds { get; init; } = [];
    /// <summary>Mounts (<c>--mount</c>, <c>HostConfig.Mounts</c>).</summary>
    [JsonPropertyName("mountRequests")] public IReadOnlyList<MountRequest> Mounts { get; init; } = [];
    /// <summary><c>--tmpfs</c>: destination → options.</summary>
    [JsonPropertyName("tmpfs")] public IReadOnlyDictionary<string, string> Tmpfs { get; init; } = new Dictionary<string, string>();
    [JsonPropertyName("readOnly")] public bool ReadOnly { get; init; }
    /// <summary>"none", "host", a bridge network's name ("bridge", the default network), or "default" for the
    /// engine's default (<see cref="EngineOptions.DefaultNetwork"/>), which create replaces by its name.</summary>
    [JsonPropertyName("network")] public string Network { get; init; } = "default";
    /// <summary><c>--network-alias</c>: names the container also answers to on its (user) network.</summary>
    [JsonPropertyName("networkAliases")] public IReadOnlyList<string> NetworkAliases { get; init; } = [];
    /// <summary><c>--ip</c>, <c>--ip6</c>: the addresses asked for on the container's (user-defined) network.</summary>
    [JsonPropertyName("ipv4Address")] public string? IPv4Address { get; init; }
    [JsonPropertyName("ipv6Address")] public string? IPv6Address { get; init; }
    /// <summary><c>--mac-address</c> (normalised, lower case); null for docker's 02:42 and the IPv4 address.</summary>
    [JsonPropertyName("macAddress")] public string? MacAddress { get; init; }
    /// <summary>The networks the container joins besides <see cref="Network"/>, in order (eth1, eth2, …): the Engine
    /// API's further EndpointsConfig entries (1.44+), the CLI's second and later <c>--network</c>. Each with its
    /// own aliases, addresses and MAC; recorded at create as <c>network connect</c> would.</summary>
    [JsonPropertyName("moreNetworks")] public IReadOnlyList<NetworkEndpointRequest> MoreNetworks { get; init; } = [];
    /// <summary><c>-p</c> specs as written (<c>[IP:][HOSTPORT:]CONTAINERPORT[/PROTO]</c>).</summary>
    [JsonPropertyName("publish")] public IReadOnlyList<string> Publish { get; init; } = [];
    /// <summary><c>-P</c>: every exposed port on a random host port.</summary>
    [JsonPropertyName("publishAll")] public bool PublishAll { get; init; }
    [JsonPropertyName("memory")] public long? Memory { get; init; }
    [JsonPropertyName("memorySwap")] public long? MemorySwap { get; init; }
    [JsonPropertyName("nanoCpus")] public long? NanoCpus { get; init; }
    [JsonPropertyName("cpuShares")] public ulong? CpuShares { get; init; }
    [JsonPropertyName("pidsLimit")] public long? PidsLimit { get; init; }
    [JsonPropertyName("capAdd")] public IReadOnlyList<string> CapAdd { get; init; } = [];
    [JsonPropertyName("capDrop")] public IReadOnlyList<string> CapDrop { get; init; } = [];
    [JsonPropertyName("privileged")] public bool Privileged { get; init; }
    [JsonPropertyName("securityOpt")] public IReadOnlyList<string> SecurityOpt { get; init; } = [];
    [JsonPropertyName("domainname")] public string? Domainname { get; init; }
    /// <summary><c>--add-host</c>: "host:ip" entries for /etc/hosts.</summary>
    [JsonPropertyName("extraHosts")] public IReadOnlyList<string> ExtraHosts { get; init; } = [];
    [JsonPropertyName("dns")] public IReadOnlyList<string> Dns { get; init; } = [];
    [JsonPropertyName("dnsSearch")] public IReadOnlyList<string> DnsSearch { get; init; } = [];
    [JsonPropertyName("dnsOptions")] public IReadOnlyList<string> DnsOptions { get; init; } = [];
    /// <summary>Resource limits (<c>--ulimit</c>).</summary>
    [JsonPropertyName("ulimits")] public IReadOnlyList<Ulimit> Ulimits { get; init; } = [];
    [JsonPropertyName("shmSize")] public long? ShmSize { get; init; }
    [JsonPropertyName("sysctls")] public IReadOnlyDictionary<string, string> Sysctls { get; init; } = new Dictionary<string, string>();
    [JsonPropertyName("groupAdd")] public IReadOnlyList<string> GroupAdd { get; init; } = [];
    [JsonPropertyName("oomScoreAdj")] public int? OomScoreAdj { get; init; }
    [JsonPropertyName("cidFile")] public string? CidFile { get; init; }
    /// <summary>The restart policy (<c>--restart</c>); null is "no".</summary>
    [JsonPropertyName("restart")] public RestartPolicy? Restart { get; init; }
    /// <summary>"" (a namespace of its own) or "host", for <c>--pid</c>, <c>--ipc</c>, <c>--uts</c>.</summary>
    [JsonPropertyName("pidMode")] public string PidMode { get; init; } = "";
    [JsonPropertyName("ipcMode")] public string IpcMode { get; init; } = "";
    [JsonPropertyName("utsMode")] public string UtsMode { get; init; } = "";
    /// <summary>Host devices given to the container (<c>--device</c>).</summary>
    [JsonPropertyName("devices")] public IReadOnlyList<DeviceMapping> Devices { get; init; } = [];
    [JsonPropertyName("cpusetCpus")] public string? CpusetCpus { get; init; }
    [JsonPropertyName("cpusetMems")] public string? CpusetMems { get; init; }
    [JsonPropertyName("cpuPeriod")] public ulong? CpuPeriod { get; init; }
    [JsonPropertyName("cpuQuota")] public long? CpuQuota { get; init; }
    [JsonPropertyName("memoryReservation")] public long? MemoryReservation { get; init; }
    [JsonPropertyName("memorySwappiness")] public ulong? MemorySwappiness { get; init; }
    [JsonPropertyName("oomKillDisable")] public bool OomKillDisable { get; init; }
    /// <summary><c>--blkio-weight</c>: the container's block I/O weight (10–1000); null leaves the kernel's.</summary>
    [JsonPropertyName("blkioWeight")] public ushort? BlkioWeight { get; init; }
    /// <summary><c>--blkio-weight-device</c>, <c>--device-read-bps</c>, <c>--device-write-bps</c>,
    /// <c>--device-read-iops</c>, <c>--device-write-iops</c>: per block device, by path.</summary>
    [JsonPropertyName("blkioWeightDevice")] public IReadOnlyList<WeightDevice> BlkioWeightDevice { get; init; } = [];
    [JsonPropertyName("blkioDeviceReadBps")] public IReadOnlyList<ThrottleDevice> BlkioDeviceReadBps { get; init; } = [];
    [JsonPropertyName("blkioDeviceWriteBps")] public IReadOnlyList<ThrottleDevice> BlkioDeviceWriteBps { get; init; } = [];
    [JsonPropertyName("blkioDeviceReadIOps")] public IReadOnlyList<ThrottleDevice> BlkioDeviceReadIOps { get; init; } = [];
    [JsonPropertyName("blkioDeviceWriteIOps")] public IReadOnlyList<ThrottleDevice> BlkioDeviceWriteIOps { get; init; } = [];
    /// <summary><c>--log-driver</c> and <c>--log-opt</c>; containers stored before they existed get the default.</summary>
    [JsonPropertyName("logConfig")] public LogConfig LogConfig { get; init; } = new();

    // ---- issue 13 (everyday commands): health checks and --expose ----

    /// <summary><c>--health-*</c> / <c>--no-healthcheck</c> (Test ["NONE"]); fields left 0 or null take the image's
    /// HEALTHCHECK's (docker's merge). Null: the image's as it is.</summary>
    [JsonPropertyName("healthcheck")] public Berth.Oci.HealthConfig? Healthcheck { get; init; }
    /// <summary><c>--expose</c>: ports ("80", "80/udp", "8000-8010/tcp") added to the image's ExposedPorts.</summary>
    [JsonPropertyName("expose")] public IReadOnlyList<string> Expose { get; init; } = [];
    /// <summary><c>--volumes-from CONTAINER[:ro|rw]</c> as written: that container's volumes and binds, read-only or
    /// read-write when the suffix says so, else in their own mode.</summary>
    [JsonPropertyName("volumesFrom")] public IReadOnlyList<string> VolumesFrom { get; init; } = [];
}

/// <summary>A mount of a container, resolved at create: a bind of a host path or a volume's data, or a tmpfs.</summary>
public sealed record ContainerMount
{
    /// <summary>"bind", "volume" or "tmpfs".</summary>
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("source")] public string Source { get; init; } = "";
    [JsonPropertyName("destination")] public required string Destination { get; init; }
    [JsonPropertyName("rw")] public bool ReadWrite { get; init; } = true;
    [JsonPropertyName("propagation")] public string Propagation { get; init; } = "rprivate";
    [JsonPropertyName("options")] public string? Options { get; init; }
    [JsonPropertyName("anonymous")] public bool Anonymous { get; init; }
    /// <summary>A volume that is not seeded with the image's content at its destination (<c>:nocopy</c>,
    /// <c>volume-nocopy</c>).</summary>
    [JsonPropertyName("noCopy")] public bool NoCopy { get; init; }
}

/// <summary>What is stored in a container's row: the request and what create resolved from it.</summary>
public sealed record StoredContainerConfig
{
    [JsonPropertyName("request")] public required ContainerRequest Request { get; init; }
    [JsonPropertyName("args")] public required IReadOnlyList<string> Args { get; init; }
    /// <summary>The process's environment (PATH default, HOSTNAME, TERM, HOME added).</summary>
    [JsonPropertyName("env")] public required IReadOnlyList<string> Env { get; init; }
    /// <summary>Config.Env as dockerd keeps it: the given variables, then the image's that they do not override
    /// (moby's daemon/commit.go merge); none of the runtime's additions. Null in records made before it.</summary>
    [JsonPropertyName("configEnv")] public IReadOnlyList<string>? ConfigEnv { get; init; }
    [JsonPropertyName("cwd")] public required string Cwd { get; init; }
    [JsonPropertyName("hostname")] public required string Hostname { get; init; }
    [JsonPropertyName("user")] public string User { get; init; } = "";
    [JsonPropertyName("entrypoint")] public IReadOnlyList<string>? Entrypoint { get; init; }
    [JsonPropertyName("cmd")] public IReadOnlyList<string>? Cmd { get; init; }
    [JsonPropertyName("stopSignal")] public string? StopSignal { get; init; }
    [JsonPropertyName("labels")] public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    [JsonPropertyName("mounts")] public IReadOnlyList<ContainerMount> Mounts { get; init; } = [];
    [JsonPropertyName("lowerDirs")] public IReadOnlyList<string> LowerDirs { get; init; } = [];
    /// <summary>The request's health check merged onto the image's (null: none; Test ["NONE"]: disabled).</summary>
    [JsonPropertyName("healthcheck")] public Berth.Oci.HealthConfig? Healthcheck { get; init; }
    /// <summary>The image's ExposedPorts, <c>--expose</c> and <c>-p</c>'s container ports, as "PORT/PROTO".</summary>
    [JsonPropertyName("exposedPorts")] public IReadOnlyList<string>? ExposedPorts { get; init; }
    /// <summary>The container's networks are its rows in network_attachments (made at create). Containers created
    /// before those existed are on <see cref="ContainerRequest.Network"/> alone.</summary>
    [JsonPropertyName("networksRecorded")] public bool NetworksRecorded { get; init; }
}

/// <summary>One line of docker's json-file log driver.</summary>
public sealed record LogEntry
{
    [JsonPropertyName("log")] public required string Log { get; init; }
    [JsonPropertyName("stream")] public required string Stream { get; init; }
    [JsonPropertyName("time")] public required string Time { get; init; }
}
