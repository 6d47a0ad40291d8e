using Berth.Archive;
using Berth.Oci;
using Berth.Storage.Content;
using Berth.Storage.Snapshots;

namespace Berth.Storage.Gc;

/// <summary>Everything under the store's own directories that is not where a stored object would be, whatever its
/// name or type: <c>ingest/</c> holds only work in flight; <c>blobs/</c> only <c>&lt;algorithm&gt;/&lt;hex&gt;</c>
/// regular files; <c>snapshots/</c> only directories named by a chain ID's hex (whether their record exists is the
/// sweep's business). Names are read as bytes, so a name that is not UTF-8 is found and removed too.</summary>
internal static class StoreDebris
{
    public static IEnumerable<Debris> Find(Store store)
    {
        foreach (var e in FileTree.List(store.Content.IngestDirectory))
            yield return Of(e, "unfinished ingest");

        foreach (var alg in FileTree.List(store.Content.BlobsDirectory))
        {
            if (!alg.IsDirectory || alg.Utf8Name is not ("sha256" or "sha512"))
            {
                yield return Of(alg, "not a blob directory");
                continue;
            }
            foreach (var e in FileTree.List(alg.DisplayPath))
                if (!ContentStore.IsBlobName(alg.Utf8Name, e))
                    yield return Of(e, "not a blob");
        }

        foreach (var e in FileTree.List(store.Snapshots.Directory))
            if (!SnapshotStore.IsSnapshotName(e))
                yield return Of(e, e.Utf8Name is { } n && (n.StartsWith("new-", StringComparison.Ordinal) || n.StartsWith("del-", StringComparison.Ordinal)) ? "unfinished snapshot" : "not a snapshot");
    }

    private static Debris Of(FileTree.Entry e, string why) => new($"{e.DisplayPath}: {why}", () => FileTree.Remove(e));
}
