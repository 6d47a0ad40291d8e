using System.Text.Json.Serialization;

namespace Berth.Engine.Containers;

/// <summary>What a mount comes from: a host path, a volume's data, or a fresh tmpfs (moby's <c>mount.Type</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MountKind>))]
public enum MountKind
{
    [JsonStringEnumMemberName("bind")] Bind,
    [JsonStringEnumMemberName("volume")] Volume,
    [JsonStringEnumMemberName("tmpfs")] Tmpfs,
}

/// <summary>
/// A mount a front end asks for, typed as moby's <c>mount.Mount</c>: the CLI parses <c>-v</c> and <c>--mount</c>
/// into it, the Engine API <c>HostConfig.Binds</c> and <c>HostConfig.Mounts</c>; each reports its own usage errors.
/// The engine checks it against the host (<see cref="ContainerService"/> create) and never sees the text.
/// </summary>
public sealed record MountRequest
{
    [JsonPropertyName("type")] public required MountKind Type { get; init; }
    /// <summary>The host path of a bind (absolute), the name of a volume ("" for an anonymous one); "" for a tmpfs.</summary>
    [JsonPropertyName("source")] public string Source { get; init; } = "";
    [JsonPropertyName("target")] public required string Target { get; init; }
    [JsonPropertyName("readOnly")] public bool ReadOnly { get; init; }
    [JsonPropertyName("bindOptions")] public BindMountOptions? BindOptions { get; init; }
    [JsonPropertyName("volumeOptions")] public VolumeMountOptions? VolumeOptions { get; init; }
    [JsonPropertyName("tmpfsOptions")] public TmpfsMountOptions? TmpfsOptions { get; init; }
}

public sealed record BindMountOptions
{
    /// <summary>"private", "rprivate", "shared", "rshared", "slave" or "rslave"; null is rprivate.</summary>
    [JsonPropertyName("propagation")] public string? Propagation { get; init; }
    /// <summary>A missing host directory is created (as <c>-v</c> does) instead of refused (as <c>--mount</c>).</summary>
    [JsonPropertyName("createMountpoint")] public bool CreateMountpoint { get; init; }
}

public sealed record VolumeMountOptions
{
    /// <summary>The volume is not seeded with the image's content at its target.</summary>
    [JsonPropertyName("noCopy")] public bool NoCopy { get; init; }
}

public sealed record TmpfsMountOptions
{
    [JsonPropertyName("sizeBytes")] public long? SizeBytes { get; init; }
    /// <summary>The permission bits of the tmpfs root (0 to 07777).</summary>
    [JsonPropertyName("mode")] public uint? Mode { get; init; }
}
