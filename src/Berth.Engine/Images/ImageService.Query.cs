using Berth.Oci;
using Berth.Storage.Metadata;

namespace Berth.Engine.Images;

public sealed partial class ImageService
{
    public ImageInspect Inspect(ImageRecord image)
    {
        var config = ReadConfig(image);
        var tags = TagsOf(image.Id);
        var lastTag = Store.Metadata.LastTagTime(image.Id)?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var size = SizeOf(image);
        return new ImageInspect
        {
            Id = image.Id.ToString(),
            RepoTags = tags.Select(t => t.FamiliarName).ToList(),
            RepoDigests = RepoDigestsOf(image.Id),
            Created = config.Created?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture),
            Author = config.Author ?? "",
            Comment = config.History?.LastOrDefault()?.Comment ?? "",
            Config = ImageConfigJson.From(config.Config),
            Architecture = config.Architecture,
            Os = config.Os,
            Size = size,
            VirtualSize = size,
            GraphDriver = new GraphDriverDataJson(GraphDriverData(image)),
            RootFS = new RootFsJson("layers", config.RootFs.DiffIds.Select(d => d.ToString()).ToList()),
            Metadata = new ImageMetadataJson(lastTag),
            Descriptor = new DescriptorJson(image.ManifestMediaType, image.ManifestDigest.ToString(), image.ManifestSize),
        };
    }

    /// <summary>Where the image's layers are, as docker's overlay2 names them: the top snapshot as UpperDir, the ones
    /// beneath it as LowerDir.</summary>
    private Dictionary<string, string> GraphDriverData(ImageRecord image)
    {
        var data = new Dictionary<string, string>();
        if (image.Layers.Count == 0) return data;
        var paths = image.Layers.Select(l => Store.Snapshots.PathOf(l.ChainId)).ToList();
        if (paths.Count > 1) data["LowerDir"] = string.Join(':', paths[..^1].AsEnumerable().Reverse());
        data["UpperDir"] = paths[^1];
        return data;
    }

    public sealed record HistoryRow(string Id, DateTimeOffset? Created, string CreatedBy, long Size, string Comment);

    /// <summary><c>history</c>: one row per history entry, newest first; non-empty entries take the size of
    /// their layer and the top one shows the image ID (others show &lt;missing&gt;, as docker does for pulled images).</summary>
    public IReadOnlyList<HistoryRow> History(ImageRecord image)
    {
        var config = ReadConfig(image);
        var snaps = Store.Metadata.ListSnapshots().ToDictionary(s => s.ChainId, s => s.ContentSize);
        var rows = new List<HistoryRow>();
        var history = config.History ?? config.RootFs.DiffIds.Select(_ => new Oci.History()).ToList();
        int layer = 0;
        foreach (var h in history)
        {
            long size = 0;
            if (!h.EmptyLayer && layer < image.Layers.Count) size = snaps.GetValueOrDefault(image.Layers[layer++].ChainId);
            rows.Add(new HistoryRow("<missing>", h.Created, h.CreatedBy ?? "", size, h.Comment ?? ""));
        }
        rows.Reverse();
        if (rows.Count > 0) rows[0] = rows[0] with { Id = image.Id.ToString() };
        return rows;
    }

    public sealed record DfImage(ImageView View, long SharedSize, long UniqueSize, int Containers);

    public sealed record DiskUsageReport(IReadOnlyList<DfImage> Images, long ImagesSize, long Reclaimable, int ActiveImages);

    /// <summary><c>system df</c>: per image, the part of its size shared with other images and the unique rest;
    /// in total, each layer counted once. A layer counts its content as <see cref="SizeOf"/> does (docker's image
    /// Size: the sum of its layers' unpacked sizes), so <c>images</c> and <c>system df -v</c> agree as docker's do.</summary>
    public DiskUsageReport DiskUsage()
    {
        var views = List();
        var snapSizes = Store.Metadata.ListSnapshots().ToDictionary(s => s.ChainId, s => s.ContentSize);
        var snaps = new Dictionary<Digest, long>();
        foreach (var v in views)
            foreach (var l in v.Record.Layers)
                snaps[l.ChainId] = snapSizes.GetValueOrDefault(l.ChainId);
        var useCount = new Dictionary<Digest, int>();
        foreach (var v in views)
            foreach (var chain in v.Record.Layers.Select(l => l.ChainId).Distinct())
                useCount[chain] = useCount.GetValueOrDefault(chain) + 1;
        var rows = new List<DfImage>();
        int active = 0;
        var activeChains = new HashSet<Digest>();
        foreach (var v in views)
        {
            long shared = 0, unique = 0;
            foreach (var chain in v.Record.Layers.Select(l => l.ChainId).Distinct())
            {
                long s = snaps.GetValueOrDefault(chain);
                if (useCount[chain] > 1) shared += s; else unique += s;
            }
            int containers = ContainersUsing(v.Record.Id).Count;
            if (containers > 0) { active++; activeChains.UnionWith(v.Record.Layers.Select(l => l.ChainId)); }
            rows.Add(new DfImage(v, shared, unique, containers));
        }
        long total = snaps.Where(kv => useCount.ContainsKey(kv.Key)).Sum(kv => kv.Value);
        long reclaimable = snaps.Where(kv => useCount.ContainsKey(kv.Key) && !activeChains.Contains(kv.Key)).Sum(kv => kv.Value);
        return new DiskUsageReport(rows, total, reclaimable, active);
    }
}
