using Berth.Oci;
using Berth.Storage.Snapshots;

namespace Berth.Storage.Gc;

/// <summary>What <c>berth system check</c> found. Errors are references to missing or corrupt objects; debris is
/// unreferenced leftovers (of a crash, say), harmless and removed by <c>--repair</c>.</summary>
public sealed record CheckReport(IReadOnlyList<string> Errors, IReadOnlyList<string> Debris, int Blobs, int Snapshots, int Images, int Tags)
{
    public bool Clean => Errors.Count == 0;
}

public static class StoreChecker
{
    public static CheckReport Check(Store store, GarbageCollector.Roots extra, bool repair, CancellationToken ct)
    {
        var errors = new List<string>();
        var debris = new List<string>();
        CheckReport report;
        using (store.LockExclusive(ct))
        {
            var integrity = store.Metadata.IntegrityCheck();
            if (integrity != "ok") errors.Add($"metadata.db: integrity check: {integrity}");

            var referenced = store.Metadata.ReferencedBlobs();
            referenced.UnionWith(extra.Blobs);
            var present = new HashSet<Digest>();
            foreach (var d in store.Content.List())
            {
                ct.ThrowIfCancellationRequested();
                present.Add(d);
                var actual = store.Content.Rehash(d);
                if (actual != d)
                    (referenced.Contains(d) ? errors : debris).Add($"blob {d}: content hashes to {actual}");
                else if (!referenced.Contains(d))
                    debris.Add($"blob {d}: not referenced");
            }

            var images = store.Metadata.ListImages();
            foreach (var img in images)
            {
                void Need(Digest d, string what, long? size)
                {
                    if (!present.Contains(d)) errors.Add($"image {img.Id.Short}: {what} {d}: missing");
                    else if (size is { } s && store.Content.SizeOf(d) != s) errors.Add($"image {img.Id.Short}: {what} {d}: size {store.Content.SizeOf(d)}, expected {s}");
                }
                Need(img.ManifestDigest, "manifest", img.ManifestSize);
                Need(img.Id, "config", img.ConfigSize);
                foreach (var l in img.Layers)
                {
                    Need(l.BlobDigest, "layer", l.BlobSize);
                    if (store.Metadata.GetSnapshot(l.ChainId) is null) errors.Add($"image {img.Id.Short}: snapshot {l.ChainId}: no record");
                }
            }

            var rows = store.Metadata.ListSnapshots();
            var referencedSnaps = store.Metadata.ReferencedSnapshots();
            referencedSnaps.UnionWith(extra.Snapshots);
            var dirs = store.Snapshots.List().ToHashSet();
            foreach (var s in rows)
            {
                if (!dirs.Contains(s.ChainId)) errors.Add($"snapshot {s.ChainId}: directory {store.Snapshots.PathOf(s.ChainId)} missing");
                else if (!referencedSnaps.Contains(s.ChainId)) debris.Add($"snapshot {s.ChainId}: not referenced");
            }
            var rowIds = rows.Select(r => r.ChainId).ToHashSet();
            foreach (var d in dirs)
                if (!rowIds.Contains(d)) debris.Add($"snapshot {d}: directory without a record");
            debris.AddRange(extra.FindDebris(store).Select(d => d.Description));

            report = new CheckReport(errors, debris, present.Count, rows.Count, images.Count, store.Metadata.ListTags().Count);
        }
        if (repair && debris.Count > 0)
        {
            var gc = GarbageCollector.Collect(store, extra, ct);
            if (gc.DebrisLeft.Count > 0) report = report with { Errors = [.. report.Errors, .. gc.DebrisLeft] };
        }
        return report;
    }
}
