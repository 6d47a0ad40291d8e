using Berth.Oci;

namespace Berth.Distribution.Client;

/// <summary>A manifest or index as the registry sent it: the original bytes (digested, never re-serialised),
/// the media type the registry declared and its digest.</summary>
public sealed record FetchedManifest(byte[] Bytes, string MediaType, Digest Digest);
