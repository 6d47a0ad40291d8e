using Berth.Archive;
using Berth.Oci;
using Berth.Storage.Content;
using Berth.Storage.Metadata;
using Berth.Storage.Snapshots;
using Berth.Interop;

namespace Berth.Storage;

/// <summary>The store side of builds: a step writes its files (or a RUN's overlay upper dir) straight into a new
/// snapshot directory, the layer tar is made from it once, and the layer becomes visible together with the cache
/// record that finds it again. Metadata access from parallel stages is serialised here.</summary>
public sealed partial class Store
{
    private readonly Lock _buildGate = new();

    /// <summary>A fresh directory inside the store for a step's files; it becomes the layer's snapshot as is, so the
    /// files are never unpacked twice.</summary>
    public PendingSnapshot BeginLayerDirectory() => Snapshots.BeginNew();

    /// <summary>Turns a filled directory into a layer: writes the deterministic tar into the ingest area (hashed
    /// while written; uncompressed, so the blob digest is the diff ID) and keeps the directory as its snapshot.</summary>
    public PendingLayer SealLayerDirectory(PendingSnapshot directory, WriteOptions options, CancellationToken ct)
    {
        ContentWriter? writer = Content.CreateWriter();
        try
        {
            LayerWriter.WriteDirectory(directory.Path, writer, options, ct);
            long size = writer.Length;
            var digest = writer.Seal(fsync: false);
            var layer = new PendingLayer(directory, writer, digest, size, MediaTypes.OciLayer, digest,
                DiskUsage.Measure(directory.Path), ContentSizeOf(directory.Path));
            writer = null;
            return layer;
        }
        finally
        {
            writer?.Dispose();
        }
    }

    private static long ContentSizeOf(string dir)
    {
        long total = 0;
        // Symlinks are skipped, not followed: a layer may hold links to anywhere (a COPY of a context's "up -> ../..").
        foreach (var f in new DirectoryInfo(dir).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            total += f.Length;
        return total;
    }

    /// <summary>Publishes a step's layer (blob and snapshot on top of <paramref name="parentChain"/>) and its cache
    /// record in one metadata transaction; an existing snapshot of the same chain is reused.</summary>
    public BuildCacheRecord CommitBuildLayer(PendingLayer layer, Digest? parentChain, string key, string description, DateTimeOffset created, CancellationToken ct)
    {
        var chainId = ChainId(parentChain, layer.DiffId);
        var record = new BuildCacheRecord
        {
            Key = key, ChainId = chainId, ParentChain = parentChain, DiffId = layer.DiffId, BlobDigest = layer.BlobDigest,
            BlobSize = layer.BlobSize, MediaType = layer.MediaType, Size = layer.ContentSize, Created = created, LastUsed = created,
            Description = description,
        };
        using var commitLock = LockCommit(ct);
        lock (_buildGate)
        {
            layer.Blob?.Publish();
            bool newSnapshot = Metadata.GetSnapshot(chainId) is null;
            if (newSnapshot)
            {
                if (Snapshots.Exists(chainId)) Snapshots.Remove(chainId);
                layer.Pending!.Commit(chainId);
                Libc.SyncFilesystem(Root);
            }
            else
            {
                layer.Pending?.Dispose();
            }
            Metadata.Write(_ =>
            {
                if (newSnapshot)
                    Metadata.PutSnapshot(new SnapshotRecord { ChainId = chainId, Parent = parentChain, DiffId = layer.DiffId, Size = layer.UnpackedSize, ContentSize = layer.ContentSize });
                Metadata.PutBuildCache(record);
                return 0;
            });
        }
        return record;
    }

    /// <summary>A cache record whose blob and snapshot are still there, or null.</summary>
    public BuildCacheRecord? FindBuildCache(string key)
    {
        lock (_buildGate)
        {
            var r = Metadata.GetBuildCache(key);
            if (r is null) return null;
            return Content.Exists(r.BlobDigest) && Snapshots.Exists(r.ChainId) && Metadata.GetSnapshot(r.ChainId) is not null ? r : null;
        }
    }

    /// <summary>Runs <paramref name="body"/> on the metadata with the build gate held (parallel stages share one
    /// SQLite connection).</summary>
    public T WithBuildMetadata<T>(Func<MetadataStore, T> body)
    {
        lock (_buildGate) return body(Metadata);
    }

    /// <summary><c>builder prune</c>: forgets every build cache record (and remembered results and context file
    /// digests, so the next build starts cold), then collects
    /// garbage with <paramref name="extra"/> roots. Returns the records removed and the bytes reclaimed.</summary>
    public (int Records, long Bytes) PruneBuildCache(Gc.GarbageCollector.Roots extra, CancellationToken ct)
    {
        int n;
        using (LockShared(ct))
        {
            n = Metadata.Write(_ =>
            {
                int count = Metadata.ListBuildCache().Count;
                Metadata.Exec("DELETE FROM build_cache");
                Metadata.ClearBuildResults();
                Metadata.ClearBuildLineage();
                Metadata.ClearFileDigests();
                return count;
            });
        }
        var gc = Gc.GarbageCollector.Collect(this, extra, ct);
        return (n, gc.BytesReclaimed);
    }
}
