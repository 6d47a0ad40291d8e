using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Storage.Snapshots;

namespace Berth.Storage.Gc;

/// <summary>What a collection removed; <see cref="DebrisLeft"/> names debris that could not be removed (a busy
/// mount, say), which <c>system check</c> then reports.</summary>
public sealed record GcResult(int BlobsRemoved, int SnapshotsRemoved, int DebrisRemoved, long BytesReclaimed, IReadOnlyList<string> DebrisLeft)
{
    /// <summary>The layers (chain IDs) whose records this collection deleted: what <c>rmi</c> lists after the image.</summary>
    public IReadOnlySet<Digest> LayersDeleted { get; init; } = new HashSet<Digest>();
}

/// <summary>Mark and sweep: whatever no metadata row reaches is removed. Runs under the store's exclusive lock,
/// so nothing in flight can be mistaken for garbage.</summary>
public static class GarbageCollector
{
    /// <summary>What the layers above storage contribute: extra roots (containers, build cache), and finders of
    /// their own debris (a killed <c>run</c>'s container directory, a killed build's RUN step), which run under
    /// the exclusive lock before the store's own sweep.</summary>
    public sealed record Roots(IReadOnlySet<Digest> Blobs, IReadOnlySet<Digest> Snapshots)
    {
        public static Roots None { get; } = new(new HashSet<Digest>(), new HashSet<Digest>());

        public IReadOnlyList<Func<IEnumerable<Debris>>> DebrisFinders { get; init; } = [];

        /// <summary>Everything any of <paramref name="roots"/> keeps, and all their debris finders.</summary>
        public static Roots Union(params ReadOnlySpan<Roots> roots)
        {
            var blobs = new HashSet<Digest>();
            var snapshots = new HashSet<Digest>();
            var finders = new List<Func<IEnumerable<Debris>>>();
            foreach (var r in roots)
            {
                blobs.UnionWith(r.Blobs);
                snapshots.UnionWith(r.Snapshots);
                finders.AddRange(r.DebrisFinders);
            }
            return new Roots(blobs, snapshots) { DebrisFinders = finders };
        }

        /// <summary>Every piece of debris the layers above and the store itself hold, theirs first (a killed build
        /// step's processes must end before the snapshot directory they write to goes).</summary>
        internal IEnumerable<Debris> FindDebris(Store store) => DebrisFinders.SelectMany(f => f()).Concat(StoreDebris.Find(store));
    }

    public static GcResult Collect(Store store, Roots extra, CancellationToken ct)
    {
        using var gate = store.LockExclusive(ct);
        int debris = 0;
        var left = new List<string>();
        // Debris first: a piece of it (an orphaned build step) may still be writing into a snapshot directory.
        foreach (var d in extra.FindDebris(store).ToList())
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                d.Remove();
                debris++;
            }
            catch (Exception e) when (e is BerthException or IOException or UnauthorizedAccessException)
            {
                // One piece that cannot go must not stop the collection (nor the rmi or prune that asked for it).
                left.Add($"{d.Description}: cannot remove: {e.Message}");
            }
        }
        var blobs = store.Metadata.ReferencedBlobs();
        blobs.UnionWith(extra.Blobs);
        var snaps = store.Metadata.ReferencedSnapshots();
        snaps.UnionWith(extra.Snapshots);

        int blobsRemoved = 0, snapsRemoved = 0;
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
        return new GcResult(blobsRemoved, snapsRemoved, debris, bytes, left) { LayersDeleted = unreferencedRows.Select(s => s.ChainId).ToHashSet() };
    }
}
