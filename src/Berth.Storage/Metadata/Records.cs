using Berth.Oci;

namespace Berth.Storage.Metadata;

/// <summary>One layer of an image as stored: the blob as received, its uncompressed digest and the snapshot
/// (keyed by chain ID) it is unpacked into.</summary>
public sealed record LayerRecord
{
    public required Digest BlobDigest { get; init; }
    public required long BlobSize { get; init; }
    public required string MediaType { get; init; }
    public required Digest DiffId { get; init; }
    public required Digest ChainId { get; init; }
}

/// <summary>An image: its config digest is its ID (as docker), its manifest bytes are kept as received.</summary>
public sealed record ImageRecord
{
    public required Digest Id { get; init; }
    public required Digest ManifestDigest { get; init; }
    public required long ManifestSize { get; init; }
    public required string ManifestMediaType { get; init; }
    public required long ConfigSize { get; init; }
    public DateTimeOffset? Created { get; init; }
    public required DateTimeOffset Added { get; init; }
    public required IReadOnlyList<LayerRecord> Layers { get; init; }
}

public sealed record SnapshotRecord
{
    public required Digest ChainId { get; init; }
    public Digest? Parent { get; init; }
    public required Digest DiffId { get; init; }
    /// <summary>Bytes used on disk by this layer's own directory, as du counts them.</summary>
    public required long Size { get; init; }

    /// <summary>Bytes of file content in the layer (apparent sizes): the size docker shows for a layer.</summary>
    public required long ContentSize { get; init; }
}
