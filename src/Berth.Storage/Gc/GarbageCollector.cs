using Berth.Oci;
using Berth.Storage.Snapshots;

namespace Berth.Storage.Gc;

public sealed record GcResult(int BlobsRemoved, int SnapshotsRemoved, int DebrisRemoved, long BytesReclaimed);

/// <summary>Mark and sweep: whatever no metadata row reaches is removed. Runs under the store's exclusive lock,
/// so nothing in flight can be mistaken for garbage.</summary>
public static class GarbageCollector
{
    /// <summary>Extra roots (containers, build cache) contributed by the layers above storage.</summary>
    public sealed record Roots(IReadOnlySet<Digest> Blobs, IReadOnlySet<Digest> Snapshots)
    {
        public static Roots None { get; } = new(new HashSet<Digest>(), new HashSet<Digest>());

        /// <summary>Everything any of <paramref name="roots"/> keeps.</summary>
        public static Roots Union(params ReadOnlySpan<Roots> roots)
        {
            var blobs = new HashSet<Digest>();
            var snapshots = new HashSet<Digest>();
            foreach (var r in roots)
            {
                blobs.UnionWith(r.Blobs);
                snapshots.UnionWith(r.Snapshots);
            }
            return new Roots(blobs, snapshots);
        }
    }

    public static GcResult Collect(Store store, Roots extra, CancellationToken ct)
    {
        using var gate = store.LockExclusive(ct);
        var blobs = store.Metadata.ReferencedBlobs();
        blobs.UnionWith(extra.Blobs);
        var snaps = store.Metadata.ReferencedSnapshots();
        snaps.UnionWith(extra.Snapshots);

        int blobsRemoved = 0, snapsRemoved = 0, debris = 0;
        long bytes = 0;
        foreach (var d in store.Content.List().ToList())
        {
            ct.ThrowIfCancellationRequested();
            if (blobs.Contains(d)) continue;
            bytes += new FileInfo(store.Content.PathOf(d)).Length;
            store.Content.Delete(d);
            blobsRemoved++;
        }

        var unreferencedRows = store.Metadata.ListSnapshots().Where(s => !snaps.Contains(s.ChainId)).ToList();
        store.Metadata.Write(_ =>
        {
            foreach (var s in unreferencedRows) store.Metadata.DeleteSnapshot(s.ChainId);
            return 0;
        });
        foreach (var s in unreferencedRows) bytes += s.Size;
        var rows = store.Metadata.ListSnapshots().Select(s => s.ChainId).ToHashSet();
        foreach (var id in store.Snapshots.List().ToList())
        {
            ct.ThrowIfCancellationRequested();
            if (rows.Contains(id)) continue;
            store.Snapshots.Remove(id);
            snapsRemoved++;
        }
        foreach (var path in store.Snapshots.ListDebris().Concat(store.Content.ListStrays()).Concat(Directory.EnumerateFileSystemEntries(store.Content.IngestDirectory)).ToList())
        {
            SnapshotStore.RemoveTree(path);
            debris++;
        }
        return new GcResult(blobsRemoved, snapsRemoved, debris, bytes);
    }
}
