using System.Text.Json.Serialization;

namespace Berth.Engine.Containers;

/// <summary>docker's types.ContainerPathStat: what <c>HEAD /containers/{id}/archive</c> returns, base64 JSON in the
/// X-Docker-Container-Path-Stat header. <see cref="Mode"/> is a Go <c>os.FileMode</c> (permission bits plus type bits
/// such as ModeDir 1&lt;&lt;31 and ModeSymlink 1&lt;&lt;27); <see cref="LinkTarget"/> is a symlink's target resolved
/// inside the container's root.</summary>
public sealed record ContainerPathStat
{
    public const uint ModeDir = 1u << 31;
    public const uint ModeSymlink = 1u << 27;

    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("mode")] public uint Mode { get; init; }
    [JsonPropertyName("mtime")] public required string Mtime { get; init; }
    [JsonPropertyName("linkTarget")] public string LinkTarget { get; init; } = "";

    [JsonIgnore] public bool IsDirectory => (Mode & ModeDir) != 0;
    [JsonIgnore] public bool IsSymlink => (Mode & ModeSymlink) != 0;
    /// <summary>Neither a directory nor any special file: what docker calls a regular file.</summary>
    [JsonIgnore] public bool IsRegular => (Mode & 0xFFF0_0000u) == 0;

    /// <summary>Go's FileMode of a Unix <c>st_mode</c> (os/stat_linux.go fillFileStatFromSys).</summary>
    public static uint GoMode(uint st)
    {
        var mode = st & 0x1FF;
        mode |= (st & 0xF000) switch
        {
            0x4000 => ModeDir,
            0xA000 => ModeSymlink,
            0x6000 => 1u << 26,                 // ModeDevice
            0x2000 => (1u << 26) | (1u << 21),  // ModeDevice | ModeCharDevice
            0x1000 => 1u << 25,                 // ModeNamedPipe
            0xC000 => 1u << 24,                 // ModeSocket
            _ => 0u,
        };
        if ((st & 0x800) != 0) mode |= 1u << 23; // setuid
        if ((st & 0x400) != 0) mode |= 1u << 22; // setgid
        if ((st & 0x200) != 0) mode |= 1u << 20; // sticky
        return mode;
    }
}
