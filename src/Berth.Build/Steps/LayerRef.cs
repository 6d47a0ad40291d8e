using Berth.Oci;

namespace Berth.Build.Steps;

/// <summary>A layer of a stage's image: its blob, diff ID, and the snapshot (chain ID) it is unpacked in.</summary>
public sealed record LayerRef(Digest BlobDigest, long BlobSize, string MediaType, Digest DiffId, Digest ChainId);
