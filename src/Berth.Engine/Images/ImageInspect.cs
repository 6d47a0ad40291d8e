using System.Text.Json.Serialization;
using Berth.Oci;

namespace Berth.Engine.Images;

/// <summary>The shape of <c>docker image inspect</c> (Engine API ImageInspect).</summary>
public sealed record ImageInspect
{
    public required string Id { get; init; }
    public required IReadOnlyList<string> RepoTags { get; init; }
    public required IReadOnlyList<string> RepoDigests { get; init; }
    public string Parent { get; init; } = "";
    public string Comment { get; init; } = "";
    public string? Created { get; init; }
    public string DockerVersion { get; init; } = "";
    public string Author { get; init; } = "";
    public ContainerConfig? Config { get; init; }
    public required string Architecture { get; init; }
    public required string Os { get; init; }
    public long Size { get; init; }
    public required RootFsJson RootFS { get; init; }
    public required ImageMetadataJson Metadata { get; init; }
    public required DescriptorJson Descriptor { get; init; }
}

public sealed record RootFsJson(string Type, IReadOnlyList<string> Layers);

public sealed record ImageMetadataJson(string? LastTagTime);

public sealed record DescriptorJson(
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("size")] long Size);

/// <summary>One row of <c>images --format json</c>, as docker prints it.</summary>
public sealed record ImageSummaryJson(string Containers, string CreatedAt, string CreatedSince, string Digest, string ID,
    string Repository, string SharedSize, string Size, string Tag, string UniqueSize, string VirtualSize);

public sealed record HistoryJson(string Comment, string CreatedAt, string CreatedBy, string CreatedSince, string ID, string Size);

public sealed record DfImageJson(string Repository, string Tag, string ID, string CreatedSince, string Size, string SharedSize, string UniqueSize, string Containers);
