using Berth.Build.Cache;
using Berth.Storage.Files;

namespace Berth.Build.Steps;

/// <summary>The files of an image or earlier stage as <c>COPY --from</c> sees them: the merged view of its layer
/// directories (<see cref="ImageTree"/>), every source path resolved inside the image (a symlink made by a RUN step
/// leads within the image, never to the host). Regular files carry their content digest when
/// <paramref name="digests"/> is given, so a COPY from a stage is keyed by what it copies, not by how the stage was
/// made.</summary>
public sealed class ImageTreeFiles(ImageTree tree, FileDigests? digests = null) : ISourceFiles
{
    public IReadOnlyList<string> Glob(string pattern)
    {
        var parts = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = new List<string> { "" };
        foreach (var part in parts)
        {
            var next = new List<string>();
            foreach (var dir in current)
            {
                if (!Globs.HasMeta(part))
                {
                    var rel = dir.Length == 0 ? part : dir + "/" + part;
                    if (tree.Find(tree.Resolve("/" + rel, followFinal: false)) is not null) next.Add(rel);
                    continue;
                }
                foreach (var name in tree.List(tree.Resolve("/" + dir, followFinal: true)))
                    if (Globs.Match(part, name)) next.Add(dir.Length == 0 ? name : dir + "/" + name);
            }
            current = next;
        }
        return current.Where(p => p.Length > 0).ToList();
    }

    public List<ContextEntry> Walk(string relative, IgnoreRules? excludes, CancellationToken ct)
    {
        var list = new List<ContextEntry>();
        var resolved = tree.Resolve("/" + relative, followFinal: true);
        if (tree.Find(resolved) is not { } top) return list;
        list.Add(Entry(top.Host, relative, top.Stat));
        if (top.Stat.IsDirectory) WalkDir(resolved, relative, excludes, list, ct, relative.Length);
        return list;
    }

    private void WalkDir(string resolved, string relative, IgnoreRules? excludes, List<ContextEntry> list, CancellationToken ct, int sourceLength)
    {
        ct.ThrowIfCancellationRequested();
        foreach (var name in tree.List(resolved))
        {
            var rel = relative.Length == 0 ? name : relative + "/" + name;
            if (excludes is not null && excludes.Excludes(rel, sourceLength)) continue;
            var inner = resolved.TrimEnd('/') + "/" + name;
            if (tree.Find(inner) is not { } hit) continue;
            list.Add(Entry(hit.Host, rel, hit.Stat));
            if (hit.Stat.IsDirectory) WalkDir(inner, rel, excludes, list, ct, sourceLength);
        }
    }

    /// <summary>Snapshot directories do not change once committed, and <see cref="ImageTree.Find"/> found the file
    /// through real directories only: its host path is the file.</summary>
    public Stream OpenRead(ContextEntry entry) =>
        new FileStream(entry.HostPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    private ContextEntry Entry(string host, string relative, FileStat st)
    {
        string? digest = null;
        if (st.IsRegular && digests is not null)
        {
            // Snapshot directories are immutable once committed: each file is hashed once, then remembered.
            var layer = tree.Layers.First(l => host.StartsWith(l + "/", StringComparison.Ordinal));
            digest = digests.DigestOf(layer, host, st, () => new FileStream(host, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));
        }
        return new ContextEntry(host, relative, st, st.IsSymlink ? new FileInfo(host).LinkTarget : null, digest);
    }
}
