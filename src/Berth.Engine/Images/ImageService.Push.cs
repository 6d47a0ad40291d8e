using Berth.Distribution.Client;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Storage.Metadata;

namespace Berth.Engine.Images;

public sealed partial class ImageService
{
    /// <summary>Blobs above this go up in chunks (PATCH with Content-Range), below it in one PATCH.</summary>
    private const long UploadChunkSize = 64L << 20;

    /// <summary>The outcome of pushing one tag: docker's "TAG: digest: DIGEST size: N".</summary>
    public sealed record PushResult(ImageReference Reference, Digest ManifestDigest, long ManifestSize);

    /// <summary><c>push</c>: for each layer and the config, the registry is asked whether it has the blob (HEAD);
    /// a blob this store knows from another repository of the same registry is mounted from there; the rest is
    /// uploaded from the stored blob (the same bytes that were pulled or built, so pushing twice gives the same
    /// digests). The manifest goes last, and its digest is recorded as the image's RepoDigest.</summary>
    public Task<IReadOnlyList<PushResult>> PushAsync(string name, bool allTags, IProgress<PullProgress>? progress, CancellationToken ct) =>
        PushAsync(name, allTags, null, progress, ct);

    /// <summary><see cref="PushAsync(string, bool, IProgress{PullProgress}?, CancellationToken)"/> with credentials for
    /// this push only (the Engine API's X-Registry-Auth); the stored ones when null.</summary>
    public async Task<IReadOnlyList<PushResult>> PushAsync(string name, bool allTags, Berth.Distribution.Credentials.RegistryCredentials? credentials,
        IProgress<PullProgress>? progress, CancellationToken ct)
    {
        var reference = ImageReference.Parse(name);
        if (reference.Digest is not null) throw BerthException.Invalid($"cannot push a digest reference: {name}");
        if (!allTags && (!name.Contains(':', StringComparison.Ordinal) || name.LastIndexOf(':') < name.LastIndexOf('/')))
            progress?.Report(new PullProgress(null, "Using default tag: latest"));
        // dockerd names the repository, then looks for its images: a missing one is an error after this line, in
        // words that name the repository only.
        progress?.Report(new PullProgress(null, $"The push refers to repository [{reference.Repository}]"));
        List<(ImageReference Ref, ImageRecord Image)> targets;
        if (allTags)
        {
            targets = Store.Metadata.ListTags()
                .Select(t => (Ref: ImageReference.Parse(t.Name), t.Image))
                .Where(t => t.Ref.Repository == reference.Repository)
                .Select(t => (t.Ref, Store.Metadata.GetImage(t.Image)!))
                .ToList();
            if (targets.Count == 0) throw BerthException.NotFound($"An image does not exist locally with the tag: {reference.FamiliarRepository}");
        }
        else
        {
            var image = Store.Metadata.GetTag(reference.ToString()) is { } id ? Store.Metadata.GetImage(id) : null;
            if (image is null) throw BerthException.NotFound($"An image does not exist locally with the tag: {reference.FamiliarRepository}");
            targets = [(reference, image)];
        }
        using var client = Registries.Open(reference.Domain, credentials);
        var results = new List<PushResult>();
        foreach (var (target, image) in targets)
            results.Add(await PushOneAsync(client, target, image, progress, ct));
        return results;
    }

    private async Task<PushResult> PushOneAsync(RegistryClient client, ImageReference reference, ImageRecord image, IProgress<PullProgress>? progress, CancellationToken ct)
    {
        string repository = reference.Path;
        var manifestBytes = await PushImageAsync(client, reference, image, progress, ct);
        var index = KeptIndex(reference.Repository, image);
        byte[] topBytes = manifestBytes;
        string topMediaType = image.ManifestMediaType;
        if (index is { } kept)
        {
            // Pulled through an index: the index goes back, with every platform the registry has or this store
            // holds; the manifests it names go first, by digest.
            await client.PutManifestAsync(repository, image.ManifestDigest.ToString(), manifestBytes, image.ManifestMediaType, ct);
            var entries = new List<Descriptor>();
            foreach (var entry in kept.Index.Manifests)
            {
                if (entry.Digest == image.ManifestDigest || await client.ManifestExistsAsync(repository, entry.Digest, ct))
                {
                    entries.Add(entry);
                    continue;
                }
                var local = LocalImageByManifest(entry.Digest);
                if (local is not null)
                {
                    var bytes = await PushImageAsync(client, reference, local, progress, ct);
                    await client.PutManifestAsync(repository, entry.Digest.ToString(), bytes, local.ManifestMediaType, ct);
                    entries.Add(entry);
                    continue;
                }
                progress?.Report(new PullProgress(null, $"Skipped platform {entry.Platform?.ToString() ?? "unknown"} ({entry.Digest}): neither in this store nor in {reference.Repository}"));
            }
            topBytes = NarrowedIndex(kept, entries);
            topMediaType = kept.Index.MediaType ?? MediaTypes.OciIndex;
        }
        var digest = await client.PutManifestAsync(repository, reference.Tag!, topBytes, topMediaType, ct);
        using (Store.LockShared(ct))
            if (Store.Metadata.GetImage(image.Id) is not null)
            {
                if (!Store.Content.Exists(digest)) Store.Content.Put(topBytes);
                Store.Metadata.Write(_ =>
                {
                    Store.Metadata.SetRepoDigest(reference.Repository, digest, image.Id);
                    return 0;
                });
            }
        // dockerd's event: the reference as ID, the repository as name.
        Record("push", reference.FamiliarName, reference.FamiliarRepository);
        return new PushResult(reference, digest, topBytes.Length);
    }

    /// <summary>The image of this store whose manifest is <paramref name="manifest"/> (with that manifest's blob here).</summary>
    private ImageRecord? LocalImageByManifest(Digest manifest) =>
        Store.Metadata.ListImages().FirstOrDefault(i => i.ManifestDigest == manifest && Store.Content.Exists(i.ManifestDigest));

    /// <summary>A kept index narrowed to <paramref name="entries"/>: its original bytes when none was left out.</summary>
    private static byte[] NarrowedIndex((ImageIndex Index, byte[] Bytes) kept, List<Descriptor> entries) =>
        entries.Count == kept.Index.Manifests.Count ? kept.Bytes : OciJson.Serialize(kept.Index with { Manifests = entries });

    /// <summary>The index <paramref name="image"/> was pulled through under <paramref name="repository"/> (its
    /// repository digest names an index in the store that lists the image's manifest), if any.</summary>
    private (ImageIndex Index, byte[] Bytes)? KeptIndex(string repository, ImageRecord image)
    {
        foreach (var (repo, digest, id) in Store.Metadata.ListRepoDigests())
        {
            if (repo != repository || id != image.Id || digest == image.ManifestDigest || !Store.Content.Exists(digest)) continue;
            var bytes = Store.Content.ReadAllBytes(digest, Distribution.Client.RegistryClient.MaxManifestBytes);
            ImageIndex index;
            try
            {
                index = OciJson.Parse<ImageIndex>(bytes, $"index {digest}");
            }
            catch (BerthException)
            {
                continue;
            }
            if (index.Manifests.Any(m => m.Digest == image.ManifestDigest)) return (index, bytes);
        }
        return null;
    }

    /// <summary>Uploads an image's layers and config (what the registry lacks); returns its manifest's bytes.</summary>
    private async Task<byte[]> PushImageAsync(RegistryClient client, ImageReference reference, ImageRecord image, IProgress<PullProgress>? progress, CancellationToken ct)
    {
        string repository = reference.Path;
        var manifestBytes = Store.Content.ReadAllBytes(image.ManifestDigest);
        var manifest = OciJson.Parse<Manifest>(manifestBytes, $"manifest {image.ManifestDigest}");
        // Where else in this registry the store has seen these blobs (for cross-repository mounts).
        var known = Store.Metadata.ListRepoDigests()
            .Where(r => r.Image == image.Id && r.Repository != reference.Repository && ImageReference.TryParse(r.Repository, out var rr) && rr!.Domain == reference.Domain)
            .Select(r => ImageReference.Parse(r.Repository).Path).Distinct().ToList();
        var blobs = manifest.Layers.Select(l => (Layer: true, Desc: l)).Append((Layer: false, Desc: manifest.Config)).ToList();
        foreach (var (isLayer, d) in blobs.Where(b => b.Layer)) progress?.Report(new PullProgress(d.Digest.Short, "Preparing"));
        using var slots = new SemaphoreSlim(Math.Max(1, Registries.Settings.MaxConcurrentUploads));
        var tasks = blobs.Select(async b =>
        {
            await slots.WaitAsync(ct);
            try
            {
                await PushBlobAsync(client, repository, b.Desc, b.Layer, known, progress, ct);
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch
        {
            var failure = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault();
            if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            throw;
        }
        return manifestBytes;
    }

    private async Task PushBlobAsync(RegistryClient client, string repository, Descriptor blob, bool isLayer, IReadOnlyList<string> mountFrom,
        IProgress<PullProgress>? progress, CancellationToken ct)
    {
        string id = blob.Digest.Short;
        if (isLayer && (blob.Urls is { Count: > 0 } || MediaTypes.IsForeignLayer(blob.MediaType)))
        {
            // Compat: dockerd never uploads a foreign layer; the manifest keeps its URLs.
            progress?.Report(new PullProgress(id, "Skipped foreign layer"));
            return;
        }
        if (await client.BlobExistsAsync(repository, blob.Digest, ct))
        {
            if (isLayer) progress?.Report(new PullProgress(id, "Layer already exists"));
            return;
        }
        foreach (var from in mountFrom)
            if (await client.TryMountBlobAsync(repository, blob.Digest, from, ct))
            {
                if (isLayer) progress?.Report(new PullProgress(id, $"Mounted from {from}"));
                return;
            }
        if (!Store.Content.Exists(blob.Digest))
            throw BerthException.NotFound($"{client.Domain}/{repository}: blob {blob.Digest} is not in the store (the image was stored without it)");
        if (isLayer) progress?.Report(new PullProgress(id, "Pushing", 0, blob.Size));
        var sent = isLayer && progress is not null ? new BytesProgress(n => progress.Report(new PullProgress(id, "Pushing", n, blob.Size))) : null;
        await client.UploadBlobAsync(repository, blob, () => Store.Content.OpenRead(blob.Digest), UploadChunkSize, sent, ct);
        if (isLayer) progress?.Report(new PullProgress(id, "Pushed"));
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, in order (unlike
/// <see cref="Progress{T}"/>, which posts).</summary>
internal sealed class BytesProgress(Action<long> report) : IProgress<long>
{
    public void Report(long value) => report(value);
}
