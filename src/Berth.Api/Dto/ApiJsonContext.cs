using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Api.Dto;

/// <summary>Every request and response body of the Engine API that berth reads or writes (source generated:
/// a type missing here fails at once instead of falling back to reflection). Reading matches property names
/// case-insensitively, as Go's encoding/json does for dockerd.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(IdResponse))]
[JsonSerializable(typeof(ExecIdResponse))]
[JsonSerializable(typeof(WaitResponse))]
[JsonSerializable(typeof(ContainerCreateBody))]
[JsonSerializable(typeof(List<ContainerSummary>))]
[JsonSerializable(typeof(List<ImageSummary>))]
[JsonSerializable(typeof(List<HistoryItem>))]
[JsonSerializable(typeof(List<ImageDeleteItem>))]
[JsonSerializable(typeof(ImagesPruneResponse))]
[JsonSerializable(typeof(ContainersPruneResponse))]
[JsonSerializable(typeof(VolumesPruneResponse))]
[JsonSerializable(typeof(BuildCachePruneResponse))]
[JsonSerializable(typeof(TopResponse))]
[JsonSerializable(typeof(List<ChangeItem>))]
[JsonSerializable(typeof(VolumeResponse))]
[JsonSerializable(typeof(VolumeListResponse))]
[JsonSerializable(typeof(VolumeCreateBody))]
[JsonSerializable(typeof(SystemDfResponse))]
[JsonSerializable(typeof(JsonMessage))]
[JsonSerializable(typeof(ExecCreateBody))]
[JsonSerializable(typeof(NetworkCreateBody))]
[JsonSerializable(typeof(AuthConfigBody))]
[JsonSerializable(typeof(AuthResponse))]
[JsonSerializable(typeof(StatsResponse))]
[JsonSerializable(typeof(ContainerUpdateBody))]
[JsonSerializable(typeof(ContainerUpdateResponse))]
[JsonSerializable(typeof(NetworkCreateResponse))]
[JsonSerializable(typeof(NetworksPruneResponse))]
[JsonSerializable(typeof(NetworkConnectBody))]
[JsonSerializable(typeof(ExecStartBody))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(Berth.Engine.Containers.ContainerPathStat))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
