using System.Text.Json.Serialization;

namespace Berth.Runtime;

/// <summary>What the runtime keeps about a container in <c>{state-root}/{id}/state.json</c>.</summary>
internal sealed record ContainerRecord
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("bundle")] public required string Bundle { get; init; }
    [JsonPropertyName("rootfs")] public required string Rootfs { get; init; }
    [JsonPropertyName("pid")] public int Pid { get; init; }
    /// <summary>/proc/[pid]/stat starttime: a recycled PID has another, so a stale state never signals a stranger.</summary>
    [JsonPropertyName("pidStartTime")] public ulong PidStartTime { get; init; }
    [JsonPropertyName("created")] public DateTimeOffset Created { get; init; }
    [JsonPropertyName("cgroupKind")] public string? CgroupKind { get; init; }
    [JsonPropertyName("cgroupPaths")] public IReadOnlyDictionary<string, string>? CgroupPaths { get; init; }
    [JsonPropertyName("cgroupCreated")] public IReadOnlyList<string>? CgroupCreated { get; init; }
    [JsonPropertyName("annotations")] public IReadOnlyDictionary<string, string>? Annotations { get; init; }
    /// <summary>The spec's hooks, for those run after create (poststart, poststop).</summary>
    [JsonPropertyName("hooks")] public Spec.Hooks? Hooks { get; init; }
}
