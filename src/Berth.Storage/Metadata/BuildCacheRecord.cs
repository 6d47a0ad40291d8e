using Berth.Oci;

namespace Berth.Storage.Metadata;

/// <summary>A build step that made a layer, found again by its cache key: the layer (blob, diff ID) and the
/// snapshot it lives in (chain ID on top of <see cref="ParentChain"/>). The record is a GC root for both.</summary>
public sealed record BuildCacheRecord
{
    public required string Key { get; init; }
    public required Digest ChainId { get; init; }
    public Digest? ParentChain { get; init; }
    public required Digest DiffId { get; init; }
    public required Digest BlobDigest { get; init; }
    public required long BlobSize { get; init; }
    public required string MediaType { get; init; }
    /// <summary>Bytes of file content in the layer.</summary>
    public required long Size { get; init; }
    /// <summary>When the step ran: the history entry of an image that reuses it keeps this time.</summary>
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset LastUsed { get; init; }
    /// <summary>The history's <c>created_by</c> of the step, for <c>builder du</c>.</summary>
    public required string Description { get; init; }
}
