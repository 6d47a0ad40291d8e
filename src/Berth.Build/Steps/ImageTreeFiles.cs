using Berth.Build.Cache;
using Berth.Storage.Files;

namespace Berth.Build.Steps;

/// <summary>The files of an image or earlier stage as <c>COPY --from</c> sees them: the merged view of its layer
/// directories (upper entries hide lower ones, whiteouts hide everything below). Opaque directories are not
/// honoured yet. Regular files carry their content digest when <paramref name="digests"/> is given, so a COPY from a
/// stage is keyed by what it copies, not by how the stage was made.</summary>
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
                    if (tree.Find("/" + rel) is not null) next.Add(rel);
                    continue;
                }
                foreach (var name in List(dir))
                    if (Globs.Match(part, name)) next.Add(dir.Length == 0 ? name : dir + "/" + name);
            }
            current = next;
        }
        return current.Where(p => p.Length > 0).ToList();
    }

    private IEnumerable<string> List(string dir)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var hidden = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in tree.Layers)
        {
            var host = dir.Length == 0 ? layer : layer + "/" + dir;
            if (!Directory.Exists(host)) continue;
            foreach (var e in Directory.EnumerateFileSystemEntries(host))
            {
                var name = Path.GetFileName(e);
                if (hidden.Contains(name) || names.Contains(name)) continue;
                if (FileMetadata.TryLstat(e, out var st) && st.Type == FileStat.S_IFCHR && st.Rdev == 0) { hidden.Add(name); continue; }
                names.Add(name);
            }
        }
        return names;
    }

    public List<ContextEntry> Walk(string relative, IgnoreRules? excludes, CancellationToken ct)
    {
        var list = new List<ContextEntry>();
        if (tree.Find("/" + relative) is not { } top) return list;
        list.Add(Entry(top.Host, relative, top.Stat));
        if (top.Stat.IsDirectory) WalkDir(relative, excludes, list, ct, relative.Length);
        return list;
    }

    private void WalkDir(string relative, IgnoreRules? excludes, List<ContextEntry> list, CancellationToken ct, int sourceLength)
    {
        ct.ThrowIfCancellationRequested();
        foreach (var name in List(relative))
        {
            var rel = relative.Length == 0 ? name : relative + "/" + name;
            if (excludes is not null && excludes.Excludes(rel, sourceLength)) continue;
            if (tree.Find("/" + rel) is not { } hit) continue;
            list.Add(Entry(hit.Host, rel, hit.Stat));
            if (hit.Stat.IsDirectory) WalkDir(rel, excludes, list, ct, sourceLength);
        }
    }

    private ContextEntry Entry(string host, string relative, FileStat st)
    {
        string? digest = null;
        if (st.IsRegular && digests is not null)
        {
            // Snapshot directories are immutable once committed: each file is hashed once, then remembered.
            var layer = tree.Layers.First(l => host.StartsWith(l + "/", StringComparison.Ordinal));
            digest = digests.DigestOf(layer, host, st);
        }
        return new ContextEntry(host, relative, st, st.IsSymlink ? new FileInfo(host).LinkTarget : null, digest);
    }
}
