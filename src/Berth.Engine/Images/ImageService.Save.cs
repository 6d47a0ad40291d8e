using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Storage.Metadata;

namespace Berth.Engine.Images;

public sealed partial class ImageService
{
    /// <summary>Writes one tar that is both a docker-archive (manifest.json, repositories) and an OCI image layout
    /// (oci-layout, index.json, blobs/sha256), as Docker 25+ does, so <c>docker load</c>, skopeo and umoci all
    /// read it. Blobs are copied as stored: no recompression, no re-serialisation.</summary>
    public void Save(IReadOnlyList<string> names, Stream output, CancellationToken ct)
    {
        if (names.Count == 0) throw BerthException.Invalid("save: name at least one image");
        using var gate = Store.LockShared(ct);
        var images = new List<(ImageRecord Image, List<ImageReference> Tags)>();
        foreach (var name in names)
        {
            var image = Resolve(name);
            var entry = images.FindIndex(i => i.Image.Id == image.Id);
            if (entry < 0) { images.Add((image, [])); entry = images.Count - 1; }
            // A name that is a tag saves that tag; an ID saves the image untagged (as docker does).
            if (ImageReference.TryParse(name, out var r) && Store.Metadata.GetTag(r!.ToString()) == image.Id && !images[entry].Tags.Contains(r))
                images[entry].Tags.Add(r);
        }

        var epoch = DateTimeOffset.UnixEpoch;
        // ustar headers: every name here is short, and unlike .NET's PAX entries they carry no process ID, so the
        // same images always give the same archive bytes. A blob of 8 GiB or more needs a PAX size record.
        using var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        const long UstarMaxSize = (1L << 33) - 1;
        void Dir(string name) => tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0x1ed, ModificationTime = epoch });
        void Bytes(string name, byte[] data)
        {
            using var ms = new MemoryStream(data, writable: false);
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = ms, Mode = (UnixFileMode)0x1a4, ModificationTime = epoch });
        }

        Dir("blobs/");
        Dir("blobs/sha256/");
        var written = new HashSet<Digest>();
        void Blob(Digest d)
        {
            if (!written.Add(d)) return;
            ct.ThrowIfCancellationRequested();
            using var fs = Store.Content.OpenRead(d);
            var name = $"blobs/{d.Algorithm}/{d.Hex}";
            tar.WriteEntry(fs.Length <= UstarMaxSize
                ? new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = fs, Mode = (UnixFileMode)0x1a4, ModificationTime = epoch }
                : new PaxTarEntry(TarEntryType.RegularFile, name, new Dictionary<string, string> { ["size"] = fs.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) }) { DataStream = fs, Mode = (UnixFileMode)0x1a4, ModificationTime = epoch });
        }

        var indexEntries = new List<Descriptor>();
        var manifestJson = new List<DockerArchiveManifestEntry>();
        var repositories = new Dictionary<string, Dictionary<string, string>>();
        foreach (var (image, tags) in images)
        {
            foreach (var l in image.Layers) Blob(l.BlobDigest);
            Blob(image.Id);
            Blob(image.ManifestDigest);
            var desc = new Descriptor { MediaType = image.ManifestMediaType, Digest = image.ManifestDigest, Size = image.ManifestSize };
            if (tags.Count == 0) indexEntries.Add(desc);
            foreach (var t in tags)
                indexEntries.Add((KeptIndexForSave(t.Repository, image, Blob, Bytes, written) ?? desc) with
                {
                    Annotations = new Dictionary<string, string>
                    {
                        ["io.containerd.image.name"] = t.ToString(),
                        ["org.opencontainers.image.ref.name"] = t.Tag ?? "latest",
                    },
                });
            manifestJson.Add(new DockerArchiveManifestEntry
            {
                Config = $"blobs/sha256/{image.Id.Hex}",
                RepoTags = tags.Count == 0 ? null : tags.Select(t => t.FamiliarName).ToList(),
                Layers = image.Layers.Select(l => $"blobs/{l.BlobDigest.Algorithm}/{l.BlobDigest.Hex}").ToList(),
            });
            foreach (var t in tags)
            {
                if (!repositories.TryGetValue(t.FamiliarRepository, out var repo)) repositories[t.FamiliarRepository] = repo = [];
                if (image.Layers.Count > 0) repo[t.Tag ?? "latest"] = image.Layers[^1].DiffId.Hex;
            }
        }
        Bytes("index.json", OciJson.Serialize(new ImageIndex { MediaType = MediaTypes.OciIndex, Manifests = indexEntries }));
        Bytes("manifest.json", JsonSerializer.SerializeToUtf8Bytes(manifestJson, EngineJsonContext.Default.ListDockerArchiveManifestEntry));
        Bytes("oci-layout", OciJson.Serialize(new OciLayout()));
        if (repositories.Count > 0)
            Bytes("repositories", JsonSerializer.SerializeToUtf8Bytes(repositories, EngineJsonContext.Default.DictionaryStringDictionaryStringString));
    }

    /// <summary>A name pulled through an index is saved as that index (as docker's containerd store does), with
    /// every platform this store holds; platforms it lacks are left out of the index written, so the layout names
    /// no blob it does not carry. Null when the name was not pulled through an index.</summary>
    private Descriptor? KeptIndexForSave(string repository, ImageRecord image, Action<Digest> blob, Action<string, byte[]> bytes, HashSet<Digest> written)
    {
        if (KeptIndex(repository, image) is not { } kept) return null;
        var entries = new List<Descriptor>();
        foreach (var entry in kept.Index.Manifests)
        {
            var local = entry.Digest == image.ManifestDigest ? image
                : LocalImageByManifest(entry.Digest);
            if (local is null) continue;
            foreach (var l in local.Layers) blob(l.BlobDigest);
            blob(local.Id);
            blob(local.ManifestDigest);
            entries.Add(entry);
        }
        var indexBytes = NarrowedIndex(kept, entries);
        var digest = Digest.Sha256(indexBytes);
        if (written.Add(digest)) bytes($"blobs/{digest.Algorithm}/{digest.Hex}", indexBytes);
        return new Descriptor { MediaType = kept.Index.MediaType ?? MediaTypes.OciIndex, Digest = digest, Size = indexBytes.Length };
    }
}
