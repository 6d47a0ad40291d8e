using System.Text.Json.Serialization;

namespace Berth.Runtime.Spec;

/// <summary>The state of a container as the OCI runtime spec defines it (what <c>state ID</c> prints).</summary>
/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/runtime.md#state"/>
public sealed record ContainerState
{
    public const string Creating = "creating", Created = "created", Running = "running", Stopped = "stopped";

    [JsonPropertyName("ociVersion")] public string OciVersion { get; init; } = RuntimeSpec.Version;
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("pid")] public int? Pid { get; init; }
    [JsonPropertyName("bundle")] public required string Bundle { get; init; }
    [JsonPropertyName("annotations")] public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
