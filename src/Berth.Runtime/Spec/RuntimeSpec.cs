using System.Text.Json.Serialization;

namespace Berth.Runtime.Spec;

/// <summary>An OCI runtime configuration, the <c>config.json</c> of a bundle.</summary>
/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/config.md"/>
public sealed record RuntimeSpec
{
    public const string Version = "1.2.0";

    [JsonPropertyName("ociVersion")] public string OciVersion { get; init; } = Version;
    [JsonPropertyName("process")] public ProcessSpec? Process { get; init; }
    [JsonPropertyName("root")] public Root? Root { get; init; }
    [JsonPropertyName("hostname")] public string? Hostname { get; init; }
    [JsonPropertyName("domainname")] public string? Domainname { get; init; }
    [JsonPropertyName("mounts")] public IReadOnlyList<Mount>? Mounts { get; init; }
    [JsonPropertyName("hooks")] public Hooks? Hooks { get; init; }
    [JsonPropertyName("annotations")] public IReadOnlyDictionary<string, string>? Annotations { get; init; }
    [JsonPropertyName("linux")] public LinuxSpec? Linux { get; init; }
}

/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/config.md#root"/>
public sealed record Root
{
    [JsonPropertyName("path")] public required string Path { get; init; }
    [JsonPropertyName("readonly")] public bool? Readonly { get; init; }
}

/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/config.md#mounts"/>
public sealed record Mount
{
    [JsonPropertyName("destination")] public required string Destination { get; init; }
    [JsonPropertyName("type")] public string? Type { get; init; }
    [JsonPropertyName("source")] public string? Source { get; init; }
    [JsonPropertyName("options")] public IReadOnlyList<string>? Options { get; init; }
}

/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/config.md#process"/>
public sealed record ProcessSpec
{
    [JsonPropertyName("terminal")] public bool? Terminal { get; init; }
    [JsonPropertyName("consoleSize")] public ConsoleSize? ConsoleSize { get; init; }
    [JsonPropertyName("user")] public UserSpec User { get; init; } = new();
    [JsonPropertyName("args")] public IReadOnlyList<string>? Args { get; init; }
    [JsonPropertyName("env")] public IReadOnlyList<string>? Env { get; init; }
    [JsonPropertyName("cwd")] public string Cwd { get; init; } = "/";
    [JsonPropertyName("capabilities")] public LinuxCapabilities? Capabilities { get; init; }
    [JsonPropertyName("rlimits")] public IReadOnlyList<PosixRlimit>? Rlimits { get; init; }
    [JsonPropertyName("noNewPrivileges")] public bool? NoNewPrivileges { get; init; }
    [JsonPropertyName("apparmorProfile")] public string? ApparmorProfile { get; init; }
    [JsonPropertyName("oomScoreAdj")] public int? OomScoreAdj { get; init; }
    [JsonPropertyName("selinuxLabel")] public string? SelinuxLabel { get; init; }
}

public sealed record ConsoleSize
{
    [JsonPropertyName("height")] public ulong Height { get; init; }
    [JsonPropertyName("width")] public ulong Width { get; init; }
}

/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/config.md#posix-platform-user"/>
public sealed record UserSpec
{
    [JsonPropertyName("uid")] public uint Uid { get; init; }
    [JsonPropertyName("gid")] public uint Gid { get; init; }
    [JsonPropertyName("umask")] public uint? Umask { get; init; }
    [JsonPropertyName("additionalGids")] public IReadOnlyList<uint>? AdditionalGids { get; init; }
    [JsonPropertyName("username")] public string? Username { get; init; }
}

/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/config.md#linux-process"/>
public sealed record LinuxCapabilities
{
    [JsonPropertyName("bounding")] public IReadOnlyList<string>? Bounding { get; init; }
    [JsonPropertyName("effective")] public IReadOnlyList<string>? Effective { get; init; }
    [JsonPropertyName("inheritable")] public IReadOnlyList<string>? Inheritable { get; init; }
    [JsonPropertyName("permitted")] public IReadOnlyList<string>? Permitted { get; init; }
    [JsonPropertyName("ambient")] public IReadOnlyList<string>? Ambient { get; init; }
}

public sealed record PosixRlimit
{
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("hard")] public ulong Hard { get; init; }
    [JsonPropertyName("soft")] public ulong Soft { get; init; }
}

/// <see href="https://github.com/opencontainers/runtime-spec/blob/main/config.md#posix-platform-hooks"/>
public sealed record Hooks
{
    [JsonPropertyName("prestart")] public IReadOnlyList<Hook>? Prestart { get; init; }
    [JsonPropertyName("createRuntime")] public IReadOnlyList<Hook>? CreateRuntime { get; init; }
    [JsonPropertyName("createContainer")] public IReadOnlyList<Hook>? CreateContainer { get; init; }
    [JsonPropertyName("startContainer")] public IReadOnlyList<Hook>? StartContainer { get; init; }
    [JsonPropertyName("poststart")] public IReadOnlyList<Hook>? Poststart { get; init; }
    [JsonPropertyName("poststop")] public IReadOnlyList<Hook>? Poststop { get; init; }

    [JsonIgnore]
    public bool IsEmpty => (Prestart?.Count ?? 0) + (CreateRuntime?.Count ?? 0) + (CreateContainer?.Count ?? 0)
        + (StartContainer?.Count ?? 0) + (Poststart?.Count ?? 0) + (Poststop?.Count ?? 0) == 0;
}

public sealed record Hook
{
    [JsonPropertyName("path")] public required string Path { get; init; }
    [JsonPropertyName("args")] public IReadOnlyList<string>? Args { get; init; }
    [JsonPropertyName("env")] public IReadOnlyList<string>? Env { get; init; }
    [JsonPropertyName("timeout")] public int? Timeout { get; init; }
}
