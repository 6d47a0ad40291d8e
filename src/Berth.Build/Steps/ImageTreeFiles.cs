using Berth.Build.Cache;
using Berth.Storage.Files;

namespace Berth.Build.Steps;

/// <summary>The files of an image or earlier stage as <c>COPY --from</c> sees them: the merged view of its layer
/// directories (upper entries hide lower ones, whiteouts hide everything below). Opaque directories are not
/// honoured yet.</summary>
public sealed class ImageTreeFiles(ImageTree tree) : ISourceFiles
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
        list.Add(new ContextEntry(top.Host, relative, top.Stat, top.Stat.IsSymlink ? new FileInfo(top.Host).LinkTarget : null, null));
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
            list.Add(new ContextEntry(hit.Host, rel, hit.Stat, hit.Stat.IsSymlink ? new FileInfo(hit.Host).LinkTarget : null, null));
            if (hit.Stat.IsDirectory) WalkDir(rel, excludes, list, ct, sourceLength);
        }
    }
}
