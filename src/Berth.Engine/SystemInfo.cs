using System.Text.Json.Serialization;

namespace Berth.Engine;

/// <summary>The engine's part of <c>info</c> (the Engine API's <c>GET /info</c>, docker's field names where docker
/// has the field): what the store holds, how containers are run, and the host they run on.</summary>
public sealed record SystemInfo
{
    public required int Containers { get; init; }
    public required int ContainersRunning { get; init; }
    public required int ContainersPaused { get; init; }
    public required int ContainersStopped { get; init; }
    public required int Images { get; init; }
    /// <summary>The snapshotter: overlay directories (berth's own, not docker's overlay2 driver).</summary>
    public required string Driver { get; init; }
    public required IReadOnlyList<IReadOnlyList<string>> DriverStatus { get; init; }
    public required string LoggingDriver { get; init; }
    public required string CgroupDriver { get; init; }
    public required string CgroupVersion { get; init; }
    public required string KernelVersion { get; init; }
    public required string OperatingSystem { get; init; }
    [JsonPropertyName("OSVersion")] public required string OsVersion { get; init; }
    [JsonPropertyName("OSType")] public required string OsType { get; init; }
    public required string Architecture { get; init; }
    [JsonPropertyName("NCPU")] public required int Ncpu { get; init; }
    public required long MemTotal { get; init; }
    /// <summary>docker's name for the persistent root (berth's <c>--root</c>).</summary>
    public required string DockerRootDir { get; init; }
    /// <summary>berth's <c>--state-dir</c>: what dies with a boot.</summary>
    public required string StateDir { get; init; }
    public required string CgroupParent { get; init; }
    public required string Name { get; init; }
    public required string ServerVersion { get; init; }
    public required IReadOnlyDictionary<string, InfoRuntime> Runtimes { get; init; }
    public required string DefaultRuntime { get; init; }
    public required string InitBinary { get; init; }
    /// <summary>docker's form: <c>name=seccomp,profile=builtin</c>, <c>name=apparmor</c>, <c>name=cgroupns</c>.</summary>
    public required IReadOnlyList<string> SecurityOptions { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
}

public sealed record InfoRuntime
{
    [JsonPropertyName("path")] public required string Path { get; init; }
}
