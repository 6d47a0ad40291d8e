using Berth.Archive;
using Berth.Oci;
using Berth.Oci.Diagnostics;
using Berth.Oci.Errors;
using Berth.Storage.Content;
using Berth.Storage.Locks;
using Berth.Storage.Metadata;
using Berth.Storage.Snapshots;
using Berth.Interop;

namespace Berth.Storage;

/// <summary>The local store: content (blobs), snapshots (unpacked layers) and metadata, under one root.
///
/// Concurrency: every operation that creates or reuses objects holds <see cref="LockShared"/> for its whole
/// duration and <see cref="LockCommit"/> briefly while it renames snapshots into place and writes metadata;
/// garbage collection holds the GC lock exclusively, so it never sees work in flight (containerd uses leases for
/// the same purpose).</summary>
public sealed partial class Store : IDisposable
{
    private readonly string _locks;

    private Store(string root)
    {
        Root = root;
        Directory.CreateDirectory(root);
        _locks = Path.Combine(root, "locks");
        Directory.CreateDirectory(_locks);
        Content = new ContentStore(root);
        Snapshots = new SnapshotStore(root);
        Metadata = new MetadataStore(Path.Combine(root, "metadata.db"));
    }

    public string Root { get; }
    public ContentStore Content { get; }
    public SnapshotStore Snapshots { get; }
    public MetadataStore Metadata { get; }

    public static Store Open(string root)
    {
        try
        {
            return new Store(root);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BerthException(ErrorKind.PermissionDenied, $"store {root}: {e.Message} (berth needs root)", e);
        }
    }

    /// <summary>Held by every operation that creates or references stored objects.</summary>
    public FileLock LockShared(CancellationToken ct) => FileLock.Acquire(Path.Combine(_locks, "gc.lock"), exclusive: false, ct);

    /// <summary>Held by garbage collection: no other operation is in flight while it runs.</summary>
    public FileLock LockExclusive(CancellationToken ct) => FileLock.Acquire(Path.Combine(_locks, "gc.lock"), exclusive: true, ct);

    /// <summary>Serialises the short commit phase (snapshot renames + metadata transaction).</summary>
    public FileLock LockCommit(CancellationToken ct) => FileLock.Acquire(Path.Combine(_locks, "commit.lock"), exclusive: true, ct);

    /// <summary>Serialises changes to the kernel's networking of this store (bridges, berth's nftables table), which
    /// are computed from every network's record and applied whole.</summary>
    public FileLock LockNetworks(CancellationToken ct) => FileLock.Acquire(Path.Combine(_locks, "network.lock"), exclusive: true, ct);

    /// <summary>The lock of one container's life: held across its creation and start, by its removal and by the
    /// cleanup after its exit, so that none of them sees another half done. Its file
    /// (<c>locks/containers/&lt;id&gt;</c>) is deleted by whoever removes the container, while holding it.</summary>
    public FileLock LockContainer(string id, CancellationToken ct) => FileLock.Acquire(ContainerLockPath(id), exclusive: true, ct);

    /// <summary><see cref="LockContainer"/> if nobody holds it; null otherwise.</summary>
    public FileLock? TryLockContainer(string id) => FileLock.TryAcquire(ContainerLockPath(id), exclusive: true);

    public string ContainerLockPath(string id)
    {
        if (id.Length == 0 || !id.All(char.IsAsciiHexDigitLower)) throw BerthException.Invalid($"invalid container ID {id}");
        var dir = Path.Combine(_locks, "containers");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, id);
    }

    /// <summary>Ingests a layer in one pass as it arrives (a registry's response, an import's input): every byte
    /// read is written to the ingest area and hashed (the blob digest), decompressed, hashed again (the diff ID)
    /// and unpacked into a new snapshot directory. Size and digest are verified at the end, before the caller can
    /// reference anything; on any failure both the blob and the directory are discarded. Nothing is visible until
    /// <see cref="CommitImage"/>.</summary>
    public PendingLayer IngestLayer(Stream raw, string? mediaType, Digest? expectedDigest, long? expectedSize, string subject, CancellationToken ct)
    {
        if (expectedDigest is { } named && !subject.Contains(named.Hex, StringComparison.Ordinal)) subject = $"{subject} (layer {named})";
        var blob = Content.CreateWriter();
        PendingSnapshot? pending = Snapshots.BeginNew();
        try
        {
            var tee = new TeeReadStream(raw, blob, expectedSize);
            (ApplyResult result, Digest? diffId, Compression compression) unpacked;
            try
            {
                unpacked = Unpack(tee, pending, subject, ct);
                tee.Drain();
            }
            catch (Exception e) when (e is BerthException or IOException && tee.Ended && expectedSize is { } size && tee.BytesRead < size)
            {
                // A short body shows up first as a broken tar or gzip stream: name the real cause.
                throw BerthException.DataLoss($"{subject}: truncated: the body ended after {tee.BytesRead} of {size} bytes");
            }
            catch (BerthException e) when (e.Message.StartsWith("more than the", StringComparison.Ordinal))
            {
                throw new BerthException(e.Kind, $"{subject}: {e.Message}", e);
            }
            catch (BerthException) when (expectedDigest is not null)
            {
                // A corrupt stream is reported as what it is, a digest mismatch, when the bytes are not the promised ones.
                ThrowIfDigestDiffers(tee, blob, expectedDigest.Value, expectedSize, subject);
                throw;
            }
            catch (BerthException e) when (expectedDigest is null && e.Message.StartsWith(subject, StringComparison.Ordinal)
                                           && DigestOfRest(tee, blob) is { } digest)
            {
                // No digest was promised (import): name the layer by the digest of what was read, as a spooled
                // ingest would have.
                throw new BerthException(e.Kind, $"{subject} (layer {digest}){e.Message[subject.Length..]}", e);
            }
            catch (IOException e)
            {
                throw new BerthException(ErrorKind.Unavailable, $"{subject}: download broken after {tee.BytesRead} bytes: {e.Message}", e);
            }
            Digest blobDigest;
            try
            {
                blobDigest = blob.Seal(expectedDigest, expectedSize, fsync: false);
            }
            catch (BerthException e)
            {
                throw e is DigestMismatchException m ? new DigestMismatchException(subject, m.Expected, m.Actual, blob.BytesWritten)
                    : new BerthException(e.Kind, $"{subject}: {e.Message}", e);
            }
            var layer = new PendingLayer(pending, blob, blobDigest, blob.BytesWritten, mediaType ?? MediaTypeOf(unpacked.compression),
                unpacked.diffId ?? blobDigest, DiskUsage.Measure(pending.Path), unpacked.result.BytesWritten);
            pending = null;
            return layer;
        }
        catch
        {
            blob.Dispose();
            throw;
        }
        finally
        {
            pending?.Dispose();
        }
    }

    /// <summary>After an unpack failure: reads the rest of the body (bounded by the expected size) and, when its
    /// digest is not the expected one, throws that mismatch, the real cause; returns when the bytes are as promised
    /// (then the unpack error stands).</summary>
    private static void ThrowIfDigestDiffers(TeeReadStream tee, ContentWriter blob, Digest expected, long? expectedSize, string subject)
    {
        try
        {
            tee.Drain();
        }
        catch (Exception e) when (e is IOException or BerthException)
        {
            return;
        }
        try
        {
            blob.Seal(expected, expectedSize, fsync: false);
            return;
        }
        catch (DigestMismatchException m)
        {
            throw new DigestMismatchException(subject, m.Expected, m.Actual, blob.BytesWritten);
        }
        catch (BerthException)
        {
            return;
        }
    }

    /// <summary>The digest of the whole input after a failed unpack (the rest read, never thrown from: this runs in
    /// an exception filter); null when it cannot be read.</summary>
    private static Digest? DigestOfRest(TeeReadStream tee, ContentWriter blob)
    {
        try
        {
            tee.Drain();
            return blob.Seal(fsync: false);
        }
        catch (Exception e) when (e is IOException or BerthException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>The core shared by every ingest (pull, import, load): detect the compression, decompress,
    /// hash the tar (the diff ID; null for an uncompressed layer, whose diff ID is its blob digest) and apply it
    /// into <paramref name="pending"/>.</summary>
    private static (ApplyResult, Digest?, Compression) Unpack(Stream source, PendingSnapshot pending, string subject, CancellationToken ct)
    {
        var peek = new PeekStream(source);
        var compression = Compressions.Detect(peek.Peek(8));
        if (compression is Compression.None && !LooksLikeTar(peek.Peek(512)))
            throw BerthException.Invalid($"{subject}: not a tar archive (and not gzip or zstd compressed)");
        using var plain = Compressions.Decompress(peek, compression, leaveOpen: true);
        using var diff = new HashingReadStream(plain, hash: compression is not Compression.None);
        ApplyResult result;
        try
        {
            result = LayerApplier.Apply(diff, pending.Path, new ApplyOptions { Whiteouts = WhiteoutMode.Overlay }, ct);
            diff.Drain();
        }
        catch (BerthException e)
        {
            throw new BerthException(e.Kind, $"{subject}: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException)
        {
            throw BerthException.Invalid($"{subject}: corrupt layer: {e.Message}");
        }
        peek.Drain();
        return (result, compression is Compression.None ? null : diff.Digest, compression);
    }

    private static string MediaTypeOf(Compression compression) => compression switch
    {
        Compression.Gzip => MediaTypes.OciLayerGzip,
        Compression.Zstd => MediaTypes.OciLayerZstd,
        _ => MediaTypes.OciLayer,
    };

    private PendingSnapshot UnpackStoredBlob(PendingLayer layer, CancellationToken ct)
    {
        using var blob = Content.OpenRead(layer.BlobDigest);
        var again = IngestLayer(blob, layer.MediaType, layer.BlobDigest, layer.BlobSize, $"layer {layer.BlobDigest}", ct);
        again.Blob?.Dispose();
        return again.Pending!;
    }

    private static bool LooksLikeTar(ReadOnlySpan<byte> head) =>
        head.Length == 0 // an empty stream is an empty layer
        || head.Length >= 262 && head[257..262].SequenceEqual("ustar"u8)
        || head.Length >= 512 && head[..512].IndexOfAnyExcept((byte)0) < 0; // end-of-archive blocks only

    public static Digest ChainId(Digest? parentChain, Digest diffId) =>
        parentChain is { } p ? Digest.Sha256(System.Text.Encoding.ASCII.GetBytes($"{p} {diffId}")) : diffId;

    /// <summary>Makes an image durable and visible: snapshots renamed into place, manifest and config stored,
    /// everything synced, then one metadata transaction adds the image and its tags. Returns the image, and for
    /// each tag the image it pointed at before.</summary>
    public ImageRecord CommitImage(ImageCommit commit, CancellationToken ct)
    {
        var configDigest = Digest.Sha256(commit.ConfigBytes);
        if (commit.Layers.Count != commit.DiffIds.Count)
            throw BerthException.Invalid($"image {configDigest}: {commit.Layers.Count} layers but {commit.DiffIds.Count} diff_ids in its config");
        for (int i = 0; i < commit.Layers.Count; i++)
            if (commit.Layers[i].DiffId != commit.DiffIds[i])
                throw BerthException.DataLoss($"layer {i} ({commit.Layers[i].BlobDigest}): uncompressed digest {commit.Layers[i].DiffId}, but the image config says {commit.DiffIds[i]}");
        // Everything is verified: from here on, objects become visible.
        using var commitLock = LockCommit(ct);
        // Durability order: the data of every blob and snapshot reaches the disk, then names appear (renames),
        // then the renames reach the disk, then the metadata points at them.
        Timeline.Mark("commit: syncfs (data)");
        Libc.SyncFilesystem(Root);
        Timeline.Mark("commit: synced");
        foreach (var l in commit.Layers) l.Blob?.Publish();
        var manifestDigest = Content.Put(commit.ManifestBytes);
        Content.Put(commit.ConfigBytes);
        if (commit.IndexBytes is { } index) Content.Put(index);
        var layers = new List<LayerRecord>();
        var snapshots = new List<SnapshotRecord>();
        Digest? chain = null;
        for (int i = 0; i < commit.Layers.Count; i++)
        {
            var l = commit.Layers[i];
            var chainId = ChainId(chain, l.DiffId);
            if (Metadata.GetSnapshot(chainId) is null)
            {
                // The same layer may be needed twice (two images, or twice in one image, on different parents):
                // its pending directory is used once, later uses unpack the stored blob again.
                var pending = l.Pending is { IsCommitted: false } ? l.Pending : UnpackStoredBlob(l, ct);
                // A directory here without a metadata row is debris of a crash: never trust it.
                if (Snapshots.Exists(chainId)) Snapshots.Remove(chainId);
                pending.Commit(chainId);
                snapshots.Add(new SnapshotRecord { ChainId = chainId, Parent = chain, DiffId = l.DiffId, Size = l.UnpackedSize, ContentSize = l.ContentSize });
            }
            else if (l.Pending is { IsCommitted: false } unused)
            {
                unused.Dispose();
            }
            layers.Add(new LayerRecord { BlobDigest = l.BlobDigest, BlobSize = l.BlobSize, MediaType = l.MediaType, DiffId = l.DiffId, ChainId = chainId });
            chain = chainId;
        }
        // The renames of snapshot directories reach the disk (blobs' renames were synced one by one by Publish and
        // Put): an fsync of their one parent directory, not a second syncfs, which would wait for every other
        // process's dirty pages on this filesystem again.
        if (snapshots.Count > 0) Libc.FsyncDirectory(Snapshots.Directory);
        Timeline.Mark("commit: names synced");
        var image = new ImageRecord
        {
            Id = configDigest, ManifestDigest = manifestDigest, ManifestSize = commit.ManifestBytes.Length,
            ManifestMediaType = commit.ManifestMediaType, ConfigSize = commit.ConfigBytes.Length, Created = commit.Created,
            Added = DateTimeOffset.UtcNow, Layers = layers,
        };
        Metadata.Write(_ =>
        {
            foreach (var s in snapshots) Metadata.PutSnapshot(s);
            // An image already present keeps its record (same config = same image); the new manifest is kept too.
            Metadata.PutImage(image);
            foreach (var tag in commit.Tags) Metadata.SetTag(tag, configDigest);
            foreach (var (repository, digest) in commit.RepoDigests) Metadata.SetRepoDigest(repository, digest, configDigest);
            return 0;
        });
        return Metadata.GetImage(configDigest)!;
    }

    public void Dispose() => Metadata.Dispose();
}

/// <summary>A layer read, verified and unpacked, but not yet visible: its blob waits in the ingest area and its
/// directory under snapshots/new-*, until <see cref="Store.CommitImage"/> publishes both. Dispose discards them.</summary>
public sealed record PendingLayer(PendingSnapshot? Pending, ContentWriter? Blob, Digest BlobDigest, long BlobSize, string MediaType, Digest DiffId, long UnpackedSize, long ContentSize)
    : IDisposable
{
    public void Dispose()
    {
        Blob?.Dispose();
        Pending?.Dispose();
    }
}

public sealed record ImageCommit
{
    public required byte[] ManifestBytes { get; init; }
    public required string ManifestMediaType { get; init; }
    public required byte[] ConfigBytes { get; init; }
    public required IReadOnlyList<Digest> DiffIds { get; init; }
    public required IReadOnlyList<PendingLayer> Layers { get; init; }
    public DateTimeOffset? Created { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The index the image was chosen from, if any: kept (referenced by its digest among
    /// <see cref="RepoDigests"/>) so that a push of the same name sends every platform back.</summary>
    public byte[]? IndexBytes { get; init; }

    /// <summary>The repositories (<c>docker.io/library/busybox</c>) and the manifest digest the image has there.</summary>
    public IReadOnlyList<(string Repository, Digest Digest)> RepoDigests { get; init; } = [];
}
