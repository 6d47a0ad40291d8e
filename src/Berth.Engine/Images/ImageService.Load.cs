using System.Formats.Tar;
using System.Text.Json;
using Berth.Oci;
using Berth.Oci.Errors;
using Berth.Storage;
using Berth.Storage.Content;

namespace Berth.Engine.Images;

public sealed partial class ImageService
{
    private const long MaxJsonDocument = 16 << 20;

    public sealed record LoadedImage(Digest Id, IReadOnlyList<string> Tags);

    /// <summary>Loads a docker-archive (Docker 25+ or the legacy <c>&lt;id&gt;/layer.tar</c> layout of dockerd
    /// 20.10) or an OCI image layout tar. The stream is read once, and so is each layer: as it arrives it is stored
    /// (the blob a later save or push sends), hashed, decompressed and unpacked in one pass (<see cref="Store.IngestLayer"/>,
    /// as pull does); JSON documents are kept in memory. Then the images are committed. Nothing is tagged unless
    /// every referenced object arrived intact.</summary>
    public IReadOnlyList<LoadedImage> Load(Stream input, CancellationToken ct)
    {
        using var gate = Store.LockShared(ct);
        var docs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var layers = new Dictionary<string, PendingLayer>(StringComparer.Ordinal);
        var failures = new Dictionary<string, BerthException>(StringComparer.Ordinal);
        try
        {
            ReadArchive(input, docs, layers, failures, ct);
            var plan = docs.ContainsKey("manifest.json") ? PlanDockerArchive(docs) : docs.ContainsKey("index.json") ? PlanOciLayout(docs) :
                throw BerthException.Invalid("archive: neither manifest.json (docker-archive) nor index.json (OCI layout) found; is this an image archive?");
            // Every layer of every image is checked before the first image is committed: all or nothing.
            foreach (var p in plan)
                foreach (var path in p.LayerPaths)
                {
                    if (failures.TryGetValue(path, out var failure)) throw failure;
                    if (!layers.ContainsKey(path)) throw BerthException.NotFound($"archive: layer {path} named by {p.Source} is missing from the archive");
                }
            var loaded = new List<LoadedImage>();
            foreach (var p in plan)
            {
                var pending = new List<PendingLayer>();
                foreach (var path in p.LayerPaths)
                {
                    if (failures.TryGetValue(path, out var failure)) throw failure;
                    if (!layers.TryGetValue(path, out var layer))
                        throw BerthException.NotFound($"archive: layer {path} named by {p.Source} is missing from the archive");
                    pending.Add(layer);
                }
                var config = OciJson.Parse<ImageConfig>(p.ConfigBytes, $"archive: config {p.ConfigPath}");
                var manifestBytes = p.ManifestBytes ?? SynthesizeManifest(p.ConfigBytes, pending);
                var manifest = OciJson.Parse<Manifest>(manifestBytes, $"archive: manifest of {p.Source}");
                for (int i = 0; i < manifest.Layers.Count && i < pending.Count; i++)
                    if (manifest.Layers[i].Digest != pending[i].BlobDigest)
                        throw new DigestMismatchException($"archive: layer {p.LayerPaths[i]}", manifest.Layers[i].Digest, pending[i].BlobDigest, pending[i].BlobSize);
                var image = Store.CommitImage(new ImageCommit
                {
                    ManifestBytes = manifestBytes,
                    ManifestMediaType = manifest.MediaType ?? MediaTypes.OciManifest,
                    ConfigBytes = p.ConfigBytes,
                    DiffIds = config.RootFs.DiffIds,
                    Layers = pending,
                    Created = config.Created,
                    Tags = p.Tags,
                }, ct);
                loaded.Add(new LoadedImage(image.Id, p.Tags));
                Record("load", image.Id.ToString(), p.Tags.FirstOrDefault() is { } tag ? ImageReference.Parse(tag).FamiliarName : image.Id.ToString());
            }
            return loaded;
        }
        catch (BerthException e) when (!e.Message.StartsWith("archive", StringComparison.Ordinal))
        {
            throw new BerthException(e.Kind, $"archive: {e.Message}", e);
        }
        finally
        {
            foreach (var l in layers.Values) l.Dispose();
        }
    }

    private sealed record LoadPlan(string Source, string ConfigPath, byte[] ConfigBytes, byte[]? ManifestBytes, IReadOnlyList<string> LayerPaths, IReadOnlyList<string> Tags);

    private void ReadArchive(Stream input, Dictionary<string, byte[]> docs, Dictionary<string, PendingLayer> layers,
        Dictionary<string, BerthException> failures, CancellationToken ct)
    {
        var source = new Storage.Content.PeekStream(input);
        var compression = Archive.Compressions.Detect(source.Peek(8));
        using var plain = Archive.Compressions.Decompress(source, compression, leaveOpen: true);
        TarReader reader;
        try
        {
            reader = new TarReader(plain, leaveOpen: true);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw BerthException.Invalid($"archive: not a tar file: {e.Message}");
        }
        int entries = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            TarEntry? entry;
            try
            {
                entry = reader.GetNextEntry(copyData: false);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException)
            {
                throw BerthException.Invalid(entries == 0 ? $"archive: not a tar file ({e.Message})" : $"archive: truncated or corrupt after {entries} entries: {e.Message}");
            }
            catch (BerthException e)
            {
                throw new BerthException(e.Kind, $"archive: {e.Message}", e);
            }
            if (entry is null) break;
            entries++;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            string name = NormalizeName(entry.Name);
            var data = new Storage.Content.PeekStream(entry.DataStream);
            var head = data.Peek(1);
            bool json = entry.Length <= MaxJsonDocument && head.Length == 1 && head[0] is (byte)'{' or (byte)'[' or (byte)' ' or (byte)'\n'
                        || name is "manifest.json" or "index.json" or "oci-layout" or "repositories" || name.EndsWith("/VERSION", StringComparison.Ordinal);
            if (json)
            {
                if (entry.Length > MaxJsonDocument) throw BerthException.Invalid($"archive: {name}: {entry.Length} bytes is too large for a JSON document");
                var bytes = new byte[entry.Length];
                data.ReadExactly(bytes);
                docs[name] = bytes;
                continue;
            }
            Digest? expected = null;
            if (name.StartsWith("blobs/", StringComparison.Ordinal))
            {
                var parts = name.Split('/');
                if (parts.Length == 3 && Digest.TryParse(parts[1] + ":" + parts[2], out var d)) expected = d;
            }
            try
            {
                var layer = Store.IngestLayer(data, null, expected, entry.Length, $"archive: layer {name}", ct);
                if (layers.Remove(name, out var duplicate)) duplicate.Dispose();
                failures.Remove(name);
                layers[name] = layer;
            }
            catch (BerthException e) when (e.Kind is not ErrorKind.PermissionDenied)
            {
                // Only a layer that an image uses may fail the load; record and decide later.
                failures[name] = e;
                data.Drain();
            }
        }
        if (entries == 0) throw BerthException.Invalid("archive: empty: no entries (not a tar file?)");
    }

    private static string NormalizeName(string name)
    {
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        return name.TrimStart('/');
    }

    private static byte[] Doc(Dictionary<string, byte[]> docs, string path, string namedBy)
    {
        path = NormalizeName(path);
        if (path.Split('/').Contains("..")) throw BerthException.Invalid($"archive: {namedBy} names a path outside the archive: {path}");
        return docs.TryGetValue(path, out var b) ? b : throw BerthException.NotFound($"archive: {path} named by {namedBy} is missing from the archive");
    }

    private static IReadOnlyList<LoadPlan> PlanDockerArchive(Dictionary<string, byte[]> docs)
    {
        List<DockerArchiveManifestEntry> entries;
        try
        {
            entries = JsonSerializer.Deserialize(docs["manifest.json"], EngineJsonContext.Default.ListDockerArchiveManifestEntry) ?? [];
        }
        catch (JsonException e)
        {
            throw BerthException.Invalid($"archive: manifest.json: invalid JSON: {e.Message}");
        }
        // Docker 25+ writes an OCI index beside manifest.json: keep its manifests (the original bytes).
        var ociManifests = new Dictionary<Digest, byte[]>();
        if (docs.TryGetValue("index.json", out var indexBytes))
            foreach (var (_, m) in WalkIndex(docs, indexBytes, "index.json"))
            {
                var parsed = OciJson.Parse<Manifest>(m, "archive: manifest");
                ociManifests.TryAdd(parsed.Config.Digest, m);
            }
        var plans = new List<LoadPlan>();
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var configBytes = Doc(docs, e.Config, $"manifest.json entry {i}");
            var configDigest = Digest.Sha256(configBytes);
            var tags = (e.RepoTags ?? []).Select(t => ImageReference.Parse(t).ToString()).ToList();
            plans.Add(new LoadPlan($"manifest.json entry {i}", e.Config, configBytes, ociManifests.GetValueOrDefault(configDigest),
                e.Layers.Select(NormalizeName).ToList(), tags));
        }
        return plans;
    }

    private static IReadOnlyList<LoadPlan> PlanOciLayout(Dictionary<string, byte[]> docs)
    {
        var plans = new List<LoadPlan>();
        foreach (var (desc, manifestBytes) in WalkIndex(docs, docs["index.json"], "index.json"))
        {
            var manifest = OciJson.Parse<Manifest>(manifestBytes, $"archive: manifest {desc.Digest}");
            if (!MediaTypes.IsConfig(manifest.Config.MediaType))
                throw BerthException.Invalid($"archive: manifest {desc.Digest}: unknown config media type \"{manifest.Config.MediaType}\"");
            foreach (var l in manifest.Layers)
                if (!MediaTypes.IsLayer(l.MediaType))
                    throw BerthException.Invalid($"archive: manifest {desc.Digest}: layer {l.Digest}: unknown media type \"{l.MediaType}\"");
            var configPath = BlobPath(manifest.Config.Digest);
            var configBytes = Doc(docs, configPath, $"manifest {desc.Digest}");
            Verify(configBytes, manifest.Config, configPath);
            var tags = new List<string>();
            var annotations = desc.Annotations ?? new Dictionary<string, string>();
            if (annotations.TryGetValue("io.containerd.image.name", out var full) && ImageReference.TryParse(full, out var r1))
                tags.Add(r1!.ToString());
            else if (annotations.TryGetValue("org.opencontainers.image.ref.name", out var refName))
            {
                // The ref name is either a full reference or, as the spec intends, just a tag.
                if (ImageReference.TryParse(refName, out var r2) && refName.Contains('/')) tags.Add(r2!.ToString());
            }
            plans.Add(new LoadPlan($"manifest {desc.Digest}", configPath, configBytes, manifestBytes,
                manifest.Layers.Select(l => BlobPath(l.Digest)).ToList(), tags));
        }
        if (plans.Count == 0) throw BerthException.Invalid("archive: index.json lists no image manifests");
        return plans;
    }

    private static string BlobPath(Digest d) => $"blobs/{d.Algorithm}/{d.Hex}";

    private static void Verify(byte[] bytes, Descriptor desc, string path)
    {
        var actual = Digest.Sha256(bytes);
        if (desc.Digest.Algorithm == "sha256" && actual != desc.Digest) throw new DigestMismatchException($"archive: {path}", desc.Digest, actual, bytes.Length);
        if (bytes.Length != desc.Size) throw BerthException.DataLoss($"archive: {path}: size {bytes.Length}, expected {desc.Size}");
    }

    /// <summary>Yields every image manifest an index reaches, choosing linux/amd64 in multi-platform indexes.</summary>
    private static IEnumerable<(Descriptor, byte[])> WalkIndex(Dictionary<string, byte[]> docs, byte[] indexBytes, string name, int depth = 0)
    {
        if (depth > 4) throw BerthException.Invalid($"archive: {name}: indexes nested too deeply");
        var index = OciJson.Parse<ImageIndex>(indexBytes, $"archive: {name}");
        foreach (var desc in index.Manifests)
        {
            if (desc.Platform is { } p && (p.Os != "linux" || p.Architecture != "amd64")) continue;
            var path = BlobPath(desc.Digest);
            if (MediaTypes.IsIndex(desc.MediaType))
            {
                var nested = Doc(docs, path, name);
                Verify(nested, desc, path);
                foreach (var inner in WalkIndex(docs, nested, path, depth + 1))
                    yield return (inner.Item1 with { Annotations = desc.Annotations ?? inner.Item1.Annotations }, inner.Item2);
            }
            else if (MediaTypes.IsManifest(desc.MediaType))
            {
                var bytes = Doc(docs, path, name);
                Verify(bytes, desc, path);
                yield return (desc, bytes);
            }
            else if (desc.MediaType.Contains("attestation", StringComparison.Ordinal) || desc.MediaType.StartsWith("application/vnd.in-toto", StringComparison.Ordinal))
            {
                continue;
            }
            else
            {
                throw BerthException.Invalid($"archive: {name}: {desc.Digest}: unknown media type \"{desc.MediaType}\"");
            }
        }
    }

    private static byte[] SynthesizeManifest(byte[] configBytes, IReadOnlyList<PendingLayer> layers) =>
        OciJson.Serialize(new Manifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Sha256(configBytes), Size = configBytes.Length },
            Layers = layers.Select(l => new Descriptor { MediaType = l.MediaType, Digest = l.BlobDigest, Size = l.BlobSize }).ToList(),
        });
}
