using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Storage;
using Berth.Storage.Metadata;

namespace Berth.Engine.Images;

/// <summary>Images: import, load, save, list, inspect, tag, remove, prune. The one place where the OCI model,
/// the archive formats and the store meet. Split by verb into partial files.</summary>
public sealed partial class ImageService(Store store, TimeProvider time)
{
    public Store Store { get; } = store;

    public Events.EventService Events { get; } = new(store, time);

    /// <summary>Registries: settings, credentials, clients (pull, push, login).</summary>
    public required RegistryAccess Registries { get; init; }

    /// <summary>Records an image event (docker's attribute: the name).</summary>
    private void Record(string action, string id, string name) => Events.Record("image", action, id, [new("name", name)]);

    /// <summary>The tag event of a tag set by another service (a build's <c>-t</c>), as <see cref="Tag"/> records.</summary>
    internal void RecordTagged(Digest image, ImageReference reference) => Record("tag", image.ToString(), reference.FamiliarName);

    /// <summary>An image with its tags, config and sizes, as the query commands show it.</summary>
    public sealed record ImageView(ImageRecord Record, ImageConfig Config, IReadOnlyList<ImageReference> Tags, long Size);

    /// <summary>Finds an image by name (<c>busybox</c>, <c>me/app:1</c>), full or short ID, or <c>sha256:</c> ID.
    /// Throws NotFound with docker's wording.</summary>
    public ImageRecord Resolve(string nameOrId)
    {
        if (TryResolve(nameOrId, out var image)) return image!;
        throw BerthException.NotFound($"No such image: {nameOrId}");
    }

    public bool TryResolve(string nameOrId, out ImageRecord? image)
    {
        image = null;
        if (Digest.TryParse(nameOrId, out var full))
        {
            image = Store.Metadata.GetImage(full);
            return image is not null;
        }
        if (ImageReference.TryParse(nameOrId, out var reference) && reference!.Digest is null
            && Store.Metadata.GetTag(reference.ToString()) is { } tagged)
        {
            image = Store.Metadata.GetImage(tagged);
            return image is not null;
        }
        // NAME@DIGEST: the image that has that manifest digest in that repository (recorded by pull and push).
        if (reference?.Digest is { } manifest
            && Store.Metadata.ListRepoDigests().FirstOrDefault(r => r.Repository == reference.Repository && r.Digest == manifest) is { Repository: not null } byDigest)
        {
            image = Store.Metadata.GetImage(byDigest.Image);
            return image is not null;
        }
        string prefix = nameOrId.StartsWith("sha256:", StringComparison.Ordinal) ? nameOrId[7..] : nameOrId;
        if (prefix.Length is >= 1 and <= 64 && prefix.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
        {
            var matches = Store.Metadata.ListImages().Where(i => i.Id.Hex.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            if (matches.Count > 1) throw BerthException.Invalid($"image ID prefix {prefix} is ambiguous: it matches {matches.Count} images");
            image = matches.FirstOrDefault();
        }
        return image is not null;
    }

    /// <summary>Parsed configs by image ID. A config is content-addressed (the ID is its digest), so a parse never
    /// goes stale: a long-lived process (the daemon) reads and parses each image's config once, not on every
    /// <c>images</c>, <c>create</c> or <c>inspect</c>. <see cref="List()"/> drops the configs of images gone.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Digest, ImageConfig> _configs = new();

    public ImageConfig ReadConfig(ImageRecord image)
    {
        if (_configs.TryGetValue(image.Id, out var config)) return config;
        config = OciJson.Parse<ImageConfig>(Store.Content.ReadAllBytes(image.Id), $"image config {image.Id}");
        return _configs.GetOrAdd(image.Id, config);
    }

    public IReadOnlyList<ImageReference> TagsOf(Digest id) =>
        Store.Metadata.ListTags().Where(t => t.Image == id).Select(t => ImageReference.Parse(t.Name)).ToList();

    public long SizeOf(ImageRecord image)
    {
        var snaps = Store.Metadata.ListSnapshots().ToDictionary(s => s.ChainId, s => s.ContentSize);
        return image.Layers.Sum(l => snaps.GetValueOrDefault(l.ChainId));
    }

    public IReadOnlyList<ImageView> List()
    {
        var tags = Store.Metadata.ListTags().ToLookup(t => t.Image);
        var snaps = Store.Metadata.ListSnapshots().ToDictionary(s => s.ChainId, s => s.ContentSize);
        var images = Store.Metadata.ListImages();
        var views = images
            .Select(i => new ImageView(i, ReadConfig(i),
                tags[i.Id].Select(t => ImageReference.Parse(t.Name)).ToList(),
                i.Layers.Sum(l => snaps.GetValueOrDefault(l.ChainId))))
            .OrderByDescending(v => v.Record.Created ?? v.Record.Added)
            .ToList();
        if (_configs.Count > images.Count)
        {
            var present = images.Select(i => i.Id).ToHashSet();
            foreach (var id in _configs.Keys)
                if (!present.Contains(id)) _configs.TryRemove(id, out _);
        }
        return views;
    }

    public void Tag(string source, string target, CancellationToken ct)
    {
        var reference = ImageReference.Parse(target);
        if (reference.Digest is not null) throw BerthException.Invalid($"refusing to create a tag with a digest reference: {target}");
        using var gate = Store.LockShared(ct);
        var image = Resolve(source);
        Store.Metadata.Write(_ => Store.Metadata.SetTag(reference.ToString(), image.Id));
        Record("tag", image.Id.ToString(), reference.FamiliarName);
    }
}
