using System.Text.Json.Serialization;

namespace Berth.Api.Dto;

public sealed record ErrorResponse([property: JsonPropertyName("message")] string Message);

public sealed record IdResponse(string Id, IReadOnlyList<string>? Warnings = null)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? Warnings { get; init; } = Warnings;
}

public sealed record ExecIdResponse(string Id);

public sealed record WaitResponse(WaitError? Error, int StatusCode);

public sealed record WaitError(string Message);

/// <summary>An element of <c>GET /containers/json</c> (and of <c>/system/df</c>'s Containers).</summary>
public sealed record ContainerSummary
{
    public required string Id { get; init; }
    public required IReadOnlyList<string> Names { get; init; }
    public required string Image { get; init; }
    public required string ImageID { get; init; }
    public required string Command { get; init; }
    public required long Created { get; init; }
    public IReadOnlyList<PortSummary> Ports { get; init; } = [];
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? SizeRw { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? SizeRootFs { get; init; }
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    public required string State { get; init; }
    public required string Status { get; init; }
    public required SummaryHostConfig HostConfig { get; init; }
    public required SummaryNetworkSettings NetworkSettings { get; init; }
    public required IReadOnlyList<SummaryMount> Mounts { get; init; }
}

public sealed record PortSummary(string? IP, int PrivatePort, int? PublicPort, string Type);

public sealed record SummaryHostConfig(string NetworkMode);

public sealed record SummaryNetworkSettings(IReadOnlyDictionary<string, SummaryEndpoint> Networks);

public sealed record SummaryEndpoint
{
    public string NetworkID { get; init; } = "";
    public string EndpointID { get; init; } = "";
    public string Gateway { get; init; } = "";
    public string IPAddress { get; init; } = "";
    public int IPPrefixLen { get; init; }
    public string MacAddress { get; init; } = "";
}

public sealed record SummaryMount
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

/// <summary>An element of <c>GET /images/json</c>.</summary>
public sealed record ImageSummary
{
    public int Containers { get; init; } = -1;
    public required long Created { get; init; }
    public required string Id { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public string ParentId { get; init; } = "";
    public IReadOnlyList<string> RepoDigests { get; init; } = [];
    public required IReadOnlyList<string> RepoTags { get; init; }
    public long SharedSize { get; init; } = -1;
    public required long Size { get; init; }
    public required long VirtualSize { get; init; }
}

public sealed record HistoryItem(string Id, long Created, string CreatedBy, IReadOnlyList<string>? Tags, long Size, string Comment);

public sealed record ImageDeleteItem
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Untagged { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Deleted { get; init; }
}

public sealed record ImagesPruneResponse(IReadOnlyList<ImageDeleteItem>? ImagesDeleted, long SpaceReclaimed);

public sealed record ContainersPruneResponse(IReadOnlyList<string>? ContainersDeleted, long SpaceReclaimed);

public sealed record VolumesPruneResponse(IReadOnlyList<string>? VolumesDeleted, long SpaceReclaimed);

public sealed record BuildCachePruneResponse(IReadOnlyList<string>? CachesDeleted, long SpaceReclaimed);

public sealed record TopResponse(IReadOnlyList<string> Titles, IReadOnlyList<IReadOnlyList<string>> Processes);

public sealed record ChangeItem(string Path, int Kind);

public sealed record VolumeResponse
{
    public required string Name { get; init; }
    public string Driver { get; init; } = "local";
    public required string Mountpoint { get; init; }
    public required string CreatedAt { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public string Scope { get; init; } = "local";
    public IReadOnlyDictionary<string, string>? Options { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public VolumeUsage? UsageData { get; init; }
}

public sealed record VolumeUsage(long Size, long RefCount);

public sealed record VolumeListResponse(IReadOnlyList<VolumeResponse> Volumes, IReadOnlyList<string> Warnings);

public sealed record VolumeCreateBody
{
    public string? Name { get; init; }
    public string? Driver { get; init; }
    public Dictionary<string, string>? DriverOpts { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
}

public sealed record SystemDfResponse
{
    public required long LayersSize { get; init; }
    public required IReadOnlyList<ImageSummary> Images { get; init; }
    public required IReadOnlyList<ContainerSummary> Containers { get; init; }
    public required IReadOnlyList<VolumeResponse> Volumes { get; init; }
    public IReadOnlyList<BuildCacheItem> BuildCache { get; init; } = [];
    public long BuilderSize { get; init; }
}

public sealed record BuildCacheItem(string ID, string Type, long Size, bool InUse, bool Shared, string Description, string CreatedAt, string? LastUsedAt, int UsageCount);

/// <summary>One message of a JSON message stream (build, load, pull): <c>stream</c>, <c>status</c>/<c>id</c>,
/// <c>aux</c>, or <c>error</c>/<c>errorDetail</c>.</summary>
public sealed record JsonMessage
{
    [JsonPropertyName("stream"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Stream { get; init; }
    [JsonPropertyName("status"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Status { get; init; }
    [JsonPropertyName("id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Id { get; init; }
    [JsonPropertyName("progressDetail"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ProgressDetail? ProgressDetail { get; init; }
    [JsonPropertyName("aux"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public AuxId? Aux { get; init; }
    [JsonPropertyName("errorDetail"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ErrorDetail? ErrorDetail { get; init; }
    [JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Error { get; init; }
}

public sealed record AuxId(string ID);

/// <summary>jsonmessage's byte counts of a layer's download or upload.</summary>
public sealed record ProgressDetail
{
    [JsonPropertyName("current"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Current { get; init; }
    [JsonPropertyName("total"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Total { get; init; }
}

public sealed record ErrorDetail
{
    [JsonPropertyName("code"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int Code { get; init; }
    [JsonPropertyName("message")] public required string Message { get; init; }
}

public sealed record ExecCreateBody
{
    public bool AttachStdin { get; init; }
    public bool AttachStdout { get; init; }
    public bool AttachStderr { get; init; }
    public bool Tty { get; init; }
    public List<string>? Env { get; init; }
    public List<string>? Cmd { get; init; }
    public bool Privileged { get; init; }
    public string? User { get; init; }
    public string? WorkingDir { get; init; }
    public string? DetachKeys { get; init; }
}

public sealed record ExecStartBody
{
    public bool Detach { get; init; }
    public bool Tty { get; init; }
}
