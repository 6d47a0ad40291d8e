using System.Text.Json.Serialization;

namespace Berth.Engine.Images;

/// <summary>One entry of a docker-archive's <c>manifest.json</c> (the format <c>docker save</c> writes).</summary>
/// <see href="https://github.com/moby/docker-image-spec/blob/main/spec.md"/>
public sealed record DockerArchiveManifestEntry
{
    [JsonPropertyName("Config")] public required string Config { get; init; }
    [JsonPropertyName("RepoTags")] public IReadOnlyList<string>? RepoTags { get; init; }
    [JsonPropertyName("Layers")] public required IReadOnlyList<string> Layers { get; init; }
}
