using System.Text.Json.Serialization;

namespace Berth.Runtime.Security;

/// <summary>Docker's seccomp profile format (moby profiles/seccomp/default.json): an OCI seccomp section whose
/// rules carry conditions (capabilities, architectures, minimum kernel) resolved when a spec is generated.</summary>
public sealed record DockerSeccompProfile
{
    [JsonPropertyName("defaultAction")] public required string DefaultAction { get; init; }
    [JsonPropertyName("defaultErrnoRet")] public uint? DefaultErrnoRet { get; init; }
    [JsonPropertyName("archMap")] public IReadOnlyList<DockerArchMap>? ArchMap { get; init; }
    [JsonPropertyName("syscalls")] public IReadOnlyList<DockerSyscallRule>? Syscalls { get; init; }
}

public sealed record DockerArchMap
{
    [JsonPropertyName("architecture")] public required string Architecture { get; init; }
    [JsonPropertyName("subArchitectures")] public IReadOnlyList<string>? SubArchitectures { get; init; }
}

public sealed record DockerSyscallRule
{
    [JsonPropertyName("names")] public IReadOnlyList<string>? Names { get; init; }
    [JsonPropertyName("action")] public required string Action { get; init; }
    [JsonPropertyName("errnoRet")] public uint? ErrnoRet { get; init; }
    [JsonPropertyName("args")] public IReadOnlyList<Spec.LinuxSeccompArg>? Args { get; init; }
    [JsonPropertyName("includes")] public DockerRuleFilter? Includes { get; init; }
    [JsonPropertyName("excludes")] public DockerRuleFilter? Excludes { get; init; }
}

public sealed record DockerRuleFilter
{
    [JsonPropertyName("caps")] public IReadOnlyList<string>? Caps { get; init; }
    [JsonPropertyName("arches")] public IReadOnlyList<string>? Arches { get; init; }
    [JsonPropertyName("minKernel")] public string? MinKernel { get; init; }
}
