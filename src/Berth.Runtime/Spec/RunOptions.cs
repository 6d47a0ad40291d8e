namespace Berth.Runtime.Spec;

/// <summary>What <c>berth run</c>'s flags ask of one container, as the spec generator consumes them. Unset members
/// keep the image's value or Docker's default.</summary>
public sealed record RunOptions
{
    /// <summary>Replaces the image's Cmd (<c>berth run IMAGE cmd…</c>).</summary>
    public IReadOnlyList<string>? Command { get; init; }
    /// <summary>Replaces the image's Entrypoint (and drops its Cmd unless <see cref="Command"/> is given); an empty
    /// list clears it, as <c>--entrypoint ""</c>.</summary>
    public IReadOnlyList<string>? Entrypoint { get; init; }
    /// <summary>"KEY=value" entries that override the image's.</summary>
    public IReadOnlyList<string>? Env { get; init; }
    public string? WorkingDir { get; init; }
    /// <summary>name|uid[:group|gid], as <c>-u</c>.</summary>
    public string? User { get; init; }
    /// <summary>Extra supplementary groups (<c>--group-add</c>), names or numbers.</summary>
    public IReadOnlyList<string>? GroupAdd { get; init; }
    /// <summary>Defaults to the first 12 characters of the container ID.</summary>
    public string? Hostname { get; init; }
    public string? Domainname { get; init; }
    /// <summary>Root path written into config.json; relative paths are relative to the bundle.</summary>
    public string RootfsPath { get; init; } = "rootfs";
    /// <summary>A mount for "/" (e.g. the overlay of the image's snapshots); null means bind the rootfs dir.</summary>
    public Mount? RootMount { get; init; }
    public IReadOnlyList<BindMount>? Binds { get; init; }
    /// <summary>Destination → options ("size=64m,mode=1777"), as <c>--tmpfs</c>.</summary>
    public IReadOnlyDictionary<string, string>? Tmpfs { get; init; }
    /// <summary>Further mounts passed through as written.</summary>
    public IReadOnlyList<Mount>? Mounts { get; init; }
    public bool ReadOnlyRootfs { get; init; }
    /// <summary>Bytes; null for unlimited.</summary>
    public long? Memory { get; init; }
    /// <summary>Memory plus swap in bytes; -1 unlimited; null means twice <see cref="Memory"/> (Docker).</summary>
    public long? MemorySwap { get; init; }
    public decimal? Cpus { get; init; }
    public ulong? CpuShares { get; init; }
    public long? PidsLimit { get; init; }
    public long? ShmSize { get; init; }
    public IReadOnlyList<string>? CapAdd { get; init; }
    public IReadOnlyList<string>? CapDrop { get; init; }
    public bool Privileged { get; init; }
    public bool NoNewPrivileges { get; init; }
    /// <summary>"unconfined", or a Docker-format profile (JSON) to use instead of Docker's default.</summary>
    public string? SeccompProfile { get; init; }
    public NetworkMode Network { get; init; } = NetworkMode.None;
    public IReadOnlyList<PosixRlimit>? Rlimits { get; init; }
    public bool Terminal { get; init; }
    /// <summary>Parent of the container's cgroup; the container's is <c>{CgroupParent}/{id}</c>.</summary>
    public string CgroupParent { get; init; } = "/berth";
    public IReadOnlyDictionary<string, string>? Sysctls { get; init; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
    public int? OomScoreAdj { get; init; }
    /// <summary><c>--pid host</c>, <c>--ipc host</c>, <c>--uts host</c>: the host's namespace instead of a new one.</summary>
    public bool PidHost { get; init; }
    public bool IpcHost { get; init; }
    public bool UtsHost { get; init; }
    /// <summary><c>--device</c>: host device nodes made in the container and allowed by its device cgroup.</summary>
    public IReadOnlyList<DeviceMapping>? Devices { get; init; }
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }
    public ulong? CpuPeriod { get; init; }
    public long? CpuQuota { get; init; }
    public long? MemoryReservation { get; init; }
    public ulong? MemorySwappiness { get; init; }
    public bool OomKillDisable { get; init; }
    /// <summary>Block I/O weights and throttles, devices already resolved to their numbers.</summary>
    public LinuxBlockIO? BlockIO { get; init; }
    /// <summary><c>--init</c>: berth's init stays PID 1, runs the command as its child, forwards signals and reaps
    /// orphans. Written as the spec annotation <c>io.berth.init=true</c> (other OCI runtimes ignore it).</summary>
    public bool Init { get; init; }
}

/// <summary>A bind mount (<c>-v /host:/ctr[:ro]</c>).</summary>
/// <summary>A host device for the container (<c>--device /dev/x[:/dev/y][:rwm]</c>), resolved by the caller.</summary>
public sealed record DeviceMapping(string ContainerPath, string Type, long Major, long Minor, uint FileMode, uint Uid, uint Gid, string Permissions);

public sealed record BindMount
{
    public required string Source { get; init; }
    public required string Destination { get; init; }
    public bool ReadOnly { get; init; }
    /// <summary>rprivate (default), private, rshared, shared, rslave, slave.</summary>
    public string Propagation { get; init; } = "rprivate";
    /// <summary>False for a non-recursive bind (<c>bind-recursive=disabled</c>).</summary>
    public bool Recursive { get; init; } = true;
}

/// <summary>Networking available before bridge networks exist: none (a new, empty namespace) or host.</summary>
public enum NetworkMode
{
    None,
    Host,
}
