using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Storage.Gc;

namespace Berth.Engine.Images;

public sealed partial class ImageService
{
    /// <summary>Answers which containers use an image; set by the container service (empty until then).</summary>
    public Func<Digest, IReadOnlyList<string>> ContainersUsing { get; set; } = _ => [];

    /// <summary>Extra GC roots from the layers above (containers, build cache).</summary>
    public Func<GarbageCollector.Roots> ExtraRoots { get; set; } = () => GarbageCollector.Roots.None;

    public sealed record RemoveResult(IReadOnlyList<string> Untagged, IReadOnlyList<Digest> Deleted);

    /// <summary><c>rmi</c> with docker's rules: a name untags; the image itself goes when its last tag does. An ID
    /// naming an image tagged in several repositories, or an image a container uses, needs <paramref name="force"/>.
    /// Deleted lists the image, then (as dockerd) each of its layers that went with it, top first.</summary>
    public RemoveResult Remove(string nameOrId, bool force, bool prune, CancellationToken ct)
    {
        var untagged = new List<string>();
        var deleted = new List<Digest>();
        Digest id;
        IReadOnlyList<Digest> chain;
        using (Store.LockShared(ct))
        {
            var image = Resolve(nameOrId);
            id = image.Id;
            chain = ChainIds(ReadConfig(image).RootFs.DiffIds);
            var tags = TagsOf(image.Id);
            var users = ContainersUsing(image.Id);
            var digests = Store.Metadata.ListRepoDigests().Where(d => d.Image == image.Id).ToList();
            bool byName = ImageReference.TryParse(nameOrId, out var r) && tags.Contains(r!);
            Store.Metadata.Write(_ =>
            {
                if (byName && (tags.Count > 1 || users.Count > 0 && !force))
                {
                    if (tags.Count == 1 && users.Count > 0)
                        throw BerthException.Conflict($"conflict: unable to remove repository reference \"{nameOrId}\" (must force) - container {users[0]} is using its referenced image {image.Id.Short}");
                    Store.Metadata.RemoveTag(r!.ToString());
                    untagged.Add(r.FamiliarName);
                    // As dockerd: the last tag of a repository takes that repository's digest reference with it.
                    if (!tags.Any(t => t != r && t.Repository == r.Repository))
                        foreach (var d in digests.Where(d => d.Repository == r.Repository))
                        {
                            Store.Metadata.RemoveRepoDigest(d.Repository, image.Id);
                            untagged.Add($"{ImageReference.Parse(d.Repository).FamiliarRepository}@{d.Digest}");
                        }
                    return 0;
                }
                if (!byName && !force && tags.Select(t => t.Repository).Distinct().Count() > 1)
                    throw BerthException.Conflict($"conflict: unable to delete {image.Id.Short} (must be forced) - image is referenced in multiple repositories");
                if (users.Count > 0 && !force)
                    throw BerthException.Conflict($"conflict: unable to delete {image.Id.Short} (cannot be forced) - image is being used by running container {users[0]}");
                if (users.Count > 0)
                {
                    // Compat: docker -f with a container using the image only untags it; the image stays for the container.
                    foreach (var t in tags) { Store.Metadata.RemoveTag(t.ToString()); untagged.Add(t.FamiliarName); }
                    return 0;
                }
                foreach (var t in tags) untagged.Add(t.FamiliarName);
                foreach (var d in digests) untagged.Add($"{ImageReference.Parse(d.Repository).FamiliarRepository}@{d.Digest}");
                Store.Metadata.DeleteImage(image.Id);
                deleted.Add(image.Id);
                return 0;
            });
        }
        // dockerd's untag and delete events name the image by its ID; one untag per tag (not per digest reference).
        foreach (var t in untagged.Where(t => !t.Contains('@', StringComparison.Ordinal))) Record("untag", id.ToString(), id.ToString());
        foreach (var d in deleted) Record("delete", d.ToString(), d.ToString());
        if (prune && deleted.Count > 0)
        {
            var gc = GarbageCollector.Collect(Store, ExtraRoots(), ct);
            deleted.AddRange(Enumerable.Reverse(chain).Where(gc.LayersDeleted.Contains));
        }
        return new RemoveResult(untagged, deleted);
    }

    private static List<Digest> ChainIds(IReadOnlyList<Digest> diffIds)
    {
        var chain = new List<Digest>();
        Digest? parent = null;
        foreach (var d in diffIds)
        {
            parent = Storage.Store.ChainId(parent, d);
            chain.Add(parent.Value);
        }
        return chain;
    }

    public sealed record PruneResult(IReadOnlyList<string> Untagged, IReadOnlyList<Digest> Deleted, long Reclaimed);

    /// <summary><c>image prune</c>: removes dangling images (no tag), or with <paramref name="all"/> every image no
    /// container uses, then collects garbage.</summary>
    public PruneResult Prune(bool all, CancellationToken ct)
    {
        var untagged = new List<string>();
        var deleted = new List<(Digest Image, List<Digest> Chain)>();
        using (Store.LockShared(ct))
        {
            var tags = Store.Metadata.ListTags();
            foreach (var image in Store.Metadata.ListImages())
            {
                var imageTags = tags.Where(t => t.Image == image.Id).ToList();
                if (ContainersUsing(image.Id).Count > 0 || imageTags.Count > 0 && !all) continue;
                var chain = ChainIds(ReadConfig(image).RootFs.DiffIds);
                Store.Metadata.Write(_ =>
                {
                    Store.Metadata.DeleteImage(image.Id);
                    return 0;
                });
                untagged.AddRange(imageTags.Select(t => ImageReference.Parse(t.Name).FamiliarName));
                deleted.Add((image.Id, chain));
                Record("delete", image.Id.ToString(), image.Id.ToString());
            }
        }
        var gc = GarbageCollector.Collect(Store, ExtraRoots(), ct);
        // As dockerd lists them: each image, then its layers that went with it (top first), each layer once.
        var listed = new HashSet<Digest>();
        Events.Record("image", "prune", "", [new("reclaimed", gc.BytesReclaimed.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var gone = deleted.SelectMany(d => (IEnumerable<Digest>)[d.Image, .. Enumerable.Reverse(d.Chain).Where(c => gc.LayersDeleted.Contains(c) && listed.Add(c))]).ToList();
        return new PruneResult(untagged, gone, gc.BytesReclaimed);
    }

    public GcResult CollectGarbage(CancellationToken ct) => GarbageCollector.Collect(Store, ExtraRoots(), ct);

    public CheckReport Check(bool repair, CancellationToken ct) => StoreChecker.Check(Store, ExtraRoots(), repair, ct);
}
