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
}

public sealed record HostConfigJson
{
    public IReadOnlyList<string>? Binds { get; init; }
    public required string NetworkMode { get; init; }
    public bool AutoRemove { get; init; }
    public IReadOnlyList<string>? CapAdd { get; init; }
    public IReadOnlyList<string>? CapDrop { get; init; }
    public bool Privileged { get; init; }
    public bool ReadonlyRootfs { get; init; }
    public IReadOnlyList<string>? SecurityOpt { get; init; }
    public IReadOnlyDictionary<string, string>? Tmpfs { get; init; }
    public long Memory { get; init; }
    public long MemorySwap { get; init; }
    public long NanoCpus { get; init; }
    public long CpuShares { get; init; }
    public long? PidsLimit { get; init; }
    public bool? Init { get; init; }
    public LogConfigJson LogConfig { get; init; } = new();
}

public sealed record LogConfigJson
{
    public string Type { get; init; } = "json-file";
    public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();
}

public sealed record GraphDriverJson
{
    public string Name { get; init; } = "overlay2";
    public required IReadOnlyDictionary<string, string> Data { get; init; }
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
    public bool Tty { get; init; }
    public bool OpenStdin { get; init; }
    public bool StdinOnce { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
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

public sealed record NetworkSettingsJson
{
    public IReadOnlyDictionary<string, EmptyJson> Networks { get; init; } = new Dictionary<string, EmptyJson>();
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
