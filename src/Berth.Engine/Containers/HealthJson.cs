using System.Text.Json.Serialization;

namespace Berth.Engine.Containers;

/// <summary>docker's State.Health: the status (starting, healthy, unhealthy), how many probes in a row failed, and the
/// last five probes. Stored beside the container (<c>health.json</c>) by its health prober, so every berth process,
/// inspect and ps among them, reads the same state, and it survives the prober.</summary>
/// <see href="https://docs.docker.com/reference/api/engine/version/v1.47/#tag/Container/operation/ContainerInspect"/>
public sealed record HealthJson
{
    public const string Starting = "starting";
    public const string Healthy = "healthy";
    public const string Unhealthy = "unhealthy";
    /// <summary>What <c>ps --filter health=</c> calls a container without a health check.</summary>
    public const string None = "none";

    public required string Status { get; init; }
    public int FailingStreak { get; init; }
    public IReadOnlyList<HealthLogJson> Log { get; init; } = [];
}

/// <summary>One probe: when it ran, its exit code (-1 when it timed out or could not run) and its output.</summary>
public sealed record HealthLogJson
{
    public required string Start { get; init; }
    public required string End { get; init; }
    public int ExitCode { get; init; }
    public string Output { get; init; } = "";
}

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(HealthJson))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
