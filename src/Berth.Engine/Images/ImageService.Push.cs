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
    public async Task<IReadOnlyList<PushResult>> PushAsync(string name, bool allTags, IProgress<PullProgress>? progress, CancellationToken ct)
    {
        var reference = ImageReference.Parse(name);
        if (reference.Digest is not null) throw BerthException.Invalid($"cannot push a digest reference: {name}");
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
            if (!name.Contains(':', StringComparison.Ordinal) || name.LastIndexOf(':') < name.LastIndexOf('/')) progress?.Report(new PullProgress(null, "Using default tag: latest"));
            var image = Store.Metadata.GetTag(reference.ToString()) is { } id ? Store.Metadata.GetImage(id) : null;
            if (image is null) throw BerthException.NotFound($"An image does not exist locally with the tag: {reference.FamiliarName}");
            targets = [(reference, image)];
        }
        progress?.Report(new PullProgress(null, $"The push refers to repository [{reference.Repository}]"));
        using var client = Registries.Open(reference.Domain);
        var results = new List<PushResult>();
        foreach (var (target, image) in targets)
            results.Add(await PushOneAsync(client, target, image, progress, ct));
        return results;
    }

    private async Task<PushResult> PushOneAsync(RegistryClient client, ImageReference reference, ImageRecord image, IProgress<PullProgress>? progress, CancellationToken ct)
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
        var digest = await client.PutManifestAsync(repository, reference.Tag!, manifestBytes, image.ManifestMediaType, ct);
        using (Store.LockShared(ct))
            if (Store.Metadata.GetImage(image.Id) is not null)
                Store.Metadata.Write(_ =>
                {
                    Store.Metadata.SetRepoDigest(reference.Repository, digest, image.Id);
                    return 0;
                });
        Record("push", reference.FamiliarName, reference.FamiliarName);
        return new PushResult(reference, digest, manifestBytes.Length);
    }

    private async Task PushBlobAsync(RegistryClient client, string repository, Descriptor blob, bool isLayer, IReadOnlyList<string> mountFrom,
        IProgress<PullProgress>? progress, CancellationToken ct)
    {
        string id = blob.Digest.Short;
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
        await client.UploadBlobAsync(repository, blob, () => Store.Content.OpenRead(blob.Digest), UploadChunkSize, null, ct);
        if (isLayer) progress?.Report(new PullProgress(id, "Pushed"));
    }
}
