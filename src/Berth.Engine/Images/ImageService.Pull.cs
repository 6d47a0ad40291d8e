using Berth.Distribution.Client;
using Berth.Oci;
using Berth.Oci.Diagnostics;
using Berth.Oci.Errors;
using Berth.Storage;

namespace Berth.Engine.Images;

public sealed partial class ImageService
{
    /// <summary>An image's config is read whole: capped as containerd caps it.</summary>
    private const int MaxConfigBytes = 8 << 20;

    public sealed record PullOptions
    {
        /// <summary>The platform to pick from an index; the host's when null.</summary>
        public Platform? Platform { get; init; }

        /// <summary><c>pull -a</c>: every tag of the repository.</summary>
        public bool AllTags { get; init; }

        /// <summary>Credentials for this pull only (the Engine API's X-Registry-Auth); the stored ones when null.</summary>
        public Berth.Distribution.Credentials.RegistryCredentials? Credentials { get; init; }
    }

    /// <summary>The outcome of pulling one reference: the image, the manifest digest, and whether anything new
    /// was stored (docker's "Downloaded newer image" against "Image is up to date").</summary>
    public sealed record PullResult(ImageReference Reference, Digest ImageId, Digest ManifestDigest, bool Downloaded);

    /// <summary><c>pull</c>: resolves the reference in its registry (an index picks the platform), fetches the
    /// config, then the layers the store lacks, <see cref="Distribution.Client.RegistrySettings.MaxConcurrentDownloads"/>
    /// at a time, each hashed, decompressed and unpacked in one pass as it arrives (<see cref="Store.IngestLayer"/>).
    /// Every digest and size is verified before the image and its tag become visible in one commit; on any failure
    /// nothing is referenced.</summary>
    public async Task<IReadOnlyList<PullResult>> PullAsync(string name, PullOptions options, IProgress<PullProgress>? progress, CancellationToken ct)
    {
        var reference = ImageReference.Parse(name);
        if (options.AllTags && reference.Digest is not null) throw BerthException.Invalid("tag can't be used with --all-tags/-a");
        // dockerd's registry-mirrors: each mirror of the domain first, in order; one that fails (unreachable, lacks
        // the image, serves bad data) is passed over, and the registry itself is the last resort. Nothing a failed
        // attempt fetched is referenced; layers it completed are not kept either.
        foreach (var mirror in Registries.Settings.MirrorsOf(reference.Domain))
        {
            try
            {
                using var mirrored = Registries.OpenMirror(reference.Domain, mirror);
                return await PullFromAsync(mirrored, reference, options, progress, ct);
            }
            catch (BerthException) when (!ct.IsCancellationRequested)
            {
                // Compat: dockerd logs the failure and tries the next endpoint.
            }
        }
        using var client = Registries.Open(reference.Domain, options.Credentials);
        return await PullFromAsync(client, reference, options, progress, ct);
    }

    private async Task<IReadOnlyList<PullResult>> PullFromAsync(RegistryClient client, ImageReference reference, PullOptions options, IProgress<PullProgress>? progress, CancellationToken ct)
    {
        if (!options.AllTags) return [await PullOneAsync(client, reference, options, progress, ct)];
        var tags = await client.ListTagsAsync(reference.Path, ct);
        var results = new List<PullResult>();
        foreach (var tag in tags.Order(StringComparer.Ordinal))
            results.Add(await PullOneAsync(client, reference with { Tag = tag, Digest = null }, options, progress, ct));
        return results;
    }

    private async Task<PullResult> PullOneAsync(RegistryClient client, ImageReference reference, PullOptions options, IProgress<PullProgress>? progress, CancellationToken ct)
    {
        string repository = reference.Path;
        string tagOrDigest = reference.Digest?.ToString() ?? reference.Tag!;
        // As dockerd: the manifest first, so that a missing one is the request's error, before any progress.
        var top = await client.GetManifestAsync(repository, tagOrDigest, ct);
        progress?.Report(new PullProgress(null, $"{tagOrDigest}: Pulling from {repository}"));
        var manifestBytes = top.Bytes;
        var manifestMediaType = top.MediaType;
        var manifestDigest = top.Digest;
        var platform = options.Platform ?? Platform.Host;
        if (MediaTypes.IsIndex(top.MediaType))
        {
            var index = OciJson.Parse<ImageIndex>(top.Bytes, $"{reference.Repository}: index {top.Digest}");
            var chosen = index.Manifests.FirstOrDefault(d => MediaTypes.IsManifest(d.MediaType) && d.Platform is { } p && Matches(p, platform))
                ?? throw BerthException.NotFound($"{reference.Repository}:{tagOrDigest}: no matching manifest for {platform} in the manifest list entries");
            var inner = await client.GetManifestAsync(repository, chosen.Digest.ToString(), ct);
            if (!MediaTypes.IsManifest(inner.MediaType))
                throw BerthException.Invalid($"{reference.Repository}@{chosen.Digest}: expected an image manifest, got \"{inner.MediaType}\"");
            (manifestBytes, manifestMediaType, manifestDigest) = (inner.Bytes, inner.MediaType, inner.Digest);
        }
        string subject = $"{reference.Repository}@{manifestDigest}";
        var manifest = OciJson.Parse<Manifest>(manifestBytes, $"{subject}: manifest");
        if (!MediaTypes.IsConfig(manifest.Config.MediaType))
            throw BerthException.Invalid($"{subject}: config {manifest.Config.Digest}: unsupported media type \"{manifest.Config.MediaType}\"");
        foreach (var l in manifest.Layers)
            if (!MediaTypes.IsLayer(l.MediaType))
                throw BerthException.Invalid($"{subject}: layer {l.Digest}: unsupported media type \"{l.MediaType}\"");
        var configBytes = await client.GetBlobBytesAsync(repository, manifest.Config, MaxConfigBytes, ct);
        var config = OciJson.Parse<ImageConfig>(configBytes, $"{reference.Repository}: config {manifest.Config.Digest}");
        if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
            throw BerthException.Invalid($"{subject}: {manifest.Layers.Count} layers but {config.RootFs.DiffIds.Count} diff_ids in config {manifest.Config.Digest}");
        if (options.Platform is { } wanted && !Matches(new Platform { Os = config.Os, Architecture = config.Architecture, Variant = config.Variant }, wanted))
            throw BerthException.NotFound($"{reference.Repository}:{tagOrDigest}: image is {config.Os}/{config.Architecture}, not the requested {wanted}");

        string? tag = reference.Digest is null ? reference.ToString() : null;
        using var gate = Store.LockShared(ct);
        var imageId = Digest.Sha256(configBytes);
        var before = tag is null ? null : Store.Metadata.GetTag(tag);
        var layers = new PendingLayer?[manifest.Layers.Count];
        bool downloaded = false;
        try
        {
            Digest? chain = null;
            var toFetch = new List<int>();
            // docker lists no layers for an image that is already here, under this name or another (dockerd's
            // puller stops at a config it has).
            bool upToDate = Store.Metadata.GetImage(imageId) is not null;
            for (int i = 0; i < manifest.Layers.Count; i++)
            {
                var l = manifest.Layers[i];
                chain = Store.ChainId(chain, config.RootFs.DiffIds[i]);
                if (Store.Metadata.GetSnapshot(chain.Value) is { } snap && Store.Content.Exists(l.Digest))
                {
                    layers[i] = new PendingLayer(null, null, l.Digest, l.Size, l.MediaType, config.RootFs.DiffIds[i], snap.Size, snap.ContentSize);
                    if (!upToDate) progress?.Report(new PullProgress(l.Digest.Short, "Already exists"));
                }
                else
                {
                    toFetch.Add(i);
                    progress?.Report(new PullProgress(l.Digest.Short, "Pulling fs layer"));
                }
            }
            using var slots = new SemaphoreSlim(Math.Max(1, Registries.Settings.MaxConcurrentDownloads));
            var tasks = toFetch.Select(async i =>
            {
                await slots.WaitAsync(ct);
                try
                {
                    layers[i] = await FetchLayerAsync(client, reference, manifest.Layers[i], progress, ct);
                }
                finally
                {
                    slots.Release();
                }
            }).ToList();
            foreach (var i in toFetch.Skip(Registries.Settings.MaxConcurrentDownloads)) progress?.Report(new PullProgress(manifest.Layers[i].Digest.Short, "Waiting"));
            try
            {
                await Task.WhenAll(tasks);
            }
            catch
            {
                // Report the first real failure, not the cancellation it caused elsewhere.
                var failure = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault();
                if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
                throw;
            }
            Timeline.Mark("pull layers done");
            downloaded = toFetch.Count > 0 || Store.Metadata.GetImage(imageId) is null || before != imageId;
            var image = Store.CommitImage(new ImageCommit
            {
                ManifestBytes = manifestBytes,
                ManifestMediaType = manifestMediaType,
                ConfigBytes = configBytes,
                DiffIds = config.RootFs.DiffIds,
                Layers = layers.Select(l => l!).ToList(),
                Created = config.Created,
                Tags = tag is null ? [] : [tag],
                RepoDigests = [(reference.Repository, top.Digest)],
                IndexBytes = MediaTypes.IsIndex(top.MediaType) ? top.Bytes : null,
            }, ct);
            Timeline.Mark("pull committed");
            // dockerd's event: the reference as ID, the repository as name.
            Record("pull", reference.FamiliarName, reference.FamiliarRepository);
            return new PullResult(reference, image.Id, top.Digest, downloaded);
        }
        finally
        {
            foreach (var l in layers) l?.Dispose();
        }
    }

    /// <summary>Downloads one layer into a pending snapshot, in one pass; a connection broken mid-body is resumed
    /// with a Range request as long as bytes keep arriving.</summary>
    private async Task<PendingLayer> FetchLayerAsync(RegistryClient client, ImageReference reference, Descriptor layer, IProgress<PullProgress>? progress, CancellationToken ct)
    {
        string subject = $"{reference.Repository}: layer {layer.Digest}";
        var body = await client.OpenBlobAsync(reference.Path, layer, 0, ct);
        progress?.Report(new PullProgress(layer.Digest.Short, "Downloading", 0, layer.Size));
        // The unpacker (TarReader) reads synchronously on a pool thread; reopening after a cut blocks that thread
        // on the request, which is what a synchronous read does anyway.
        await using var resumable = new ResumableStream(body, offset => client.OpenBlobAsync(reference.Path, layer, offset, ct).GetAwaiter().GetResult(), layer.Size);
        Timeline.Mark($"pull layer {layer.Digest.Short} start");
        await using var counted = new ProgressStream(resumable, n => progress?.Report(new PullProgress(layer.Digest.Short, "Downloading", n, layer.Size)));
        var pending = await Task.Run(() => Store.IngestLayer(counted, layer.MediaType, layer.Digest, layer.Size, subject, ct), ct);
        Timeline.Mark($"pull layer {layer.Digest.Short} unpacked");
        progress?.Report(new PullProgress(layer.Digest.Short, "Verifying Checksum"));
        progress?.Report(new PullProgress(layer.Digest.Short, "Download complete"));
        progress?.Report(new PullProgress(layer.Digest.Short, "Pull complete"));
        return pending;
    }

    private static bool Matches(Platform have, Platform want) =>
        have.Os == want.Os && have.Architecture == want.Architecture && (want.Variant is null || have.Variant == want.Variant);
}
