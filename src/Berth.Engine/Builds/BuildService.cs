using Berth.Build;
using Berth.Build.Progress;
using Berth.Engine.Images;
using Berth.Oci;
using Berth.Storage;
using Berth.Storage.Gc;
using Berth.Storage.Metadata;

namespace Berth.Engine.Builds;

/// <summary>
/// Builds: binds the build engine to the store (images by name through <see cref="ImageService"/>) and to the
/// runtime (RUN steps in berth containers), and answers for the build cache: its GC roots, its size for
/// <c>system df</c>, and <c>builder prune</c>.
/// </summary>
public sealed partial class BuildService(ImageService images, EngineOptions options, TimeProvider time)
{
    public Store Store => images.Store;

    public async Task<BuildResult> BuildAsync(BuildRequest request, IBuildProgress progress, CancellationToken ct)
    {
        var executor = new RuntimeRunStepExecutor(options, new Networks.NetworkService(Store, time));
        // RUN containers left by a build that was killed would run on and hold their overlay: end them first.
        if (executor.RemoveOrphans() is > 0 and var n) progress.Message($"removed {n} RUN container(s) left by an interrupted build");
        var builder = new Builder(Store, new ImageSource(images), executor, progress, time);
        var result = await builder.BuildAsync(request, ct);
        // As dockerd: a tag event for each -t the build set.
        foreach (var tag in request.Tags) images.RecordTagged(result.ImageId, ImageReference.Parse(tag));
        return result;
    }

    /// <summary>The blobs and snapshots cache records keep alive; hook this into <see cref="ImageService.ExtraRoots"/>.</summary>
    public static GarbageCollector.Roots CacheRoots(Store store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var (blobs, snaps) = store.Metadata.BuildCacheRoots();
        return new GarbageCollector.Roots(blobs, snaps);
    }

    /// <summary>Build cache usage as <c>system df</c> shows it: records, how many an image uses, the bytes of
    /// layers only the cache holds (reclaimable) and in total.</summary>
    public sealed record CacheUsage(int Count, int Active, long Size, long Reclaimable);

    public CacheUsage Usage()
    {
        var records = Store.Metadata.ListBuildCache();
        var inImages = Store.Metadata.ReferencedSnapshots();
        long size = records.Sum(r => r.Size);
        var active = records.Where(r => inImages.Contains(r.ChainId)).ToList();
        return new CacheUsage(records.Count, active.Count, size, size - active.Sum(r => r.Size));
    }

    public IReadOnlyList<BuildCacheRecord> List() => Store.Metadata.ListBuildCache();

    /// <summary><c>builder prune</c>: drops every cache record, then removes what nothing else keeps.</summary>
    public (int Records, long Bytes) Prune(Func<GarbageCollector.Roots> otherRoots, CancellationToken ct) =>
        Store.PruneBuildCache(otherRoots(), ct);

    private sealed class ImageSource(ImageService images) : IImageSource
    {
        public bool TryResolve(string nameOrId, out ImageRecord? image) => images.TryResolve(nameOrId, out image);
        public ImageConfig ReadConfig(ImageRecord image) => images.ReadConfig(image);

        public async Task<ImageRecord?> PullAsync(string name, CancellationToken ct)
        {
            // A stage name or an image ID is not something a registry has.
            if (!ImageReference.TryParse(name, out _) || name.StartsWith("sha256:", StringComparison.Ordinal)) return null;
            try
            {
                var pulled = await images.PullAsync(name, new ImageService.PullOptions(), null, ct);
                return images.Store.Metadata.GetImage(pulled[0].ImageId);
            }
            catch (Oci.Errors.BerthException e)
            {
                // BuildKit's wording, so the user sees the build wanted to pull and why it could not.
                throw new Oci.Errors.BerthException(e.Kind, $"{name}: failed to resolve source metadata for {ImageReference.Parse(name)}: {e.Message}", e);
            }
        }
    }
}
