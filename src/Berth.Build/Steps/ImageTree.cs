using Berth.Storage.Files;

namespace Berth.Build.Steps;

/// <summary>
/// Read access to an image's root filesystem without mounting it: the layer snapshot directories, top first, are
/// searched for a path the way overlayfs would (a 0/0 character device is a whiteout that hides lower layers).
/// Enough for the builder's questions: does the destination exist, is it a directory or a symlink, what does
/// /etc/passwd say.
/// </summary>
public sealed class ImageTree(IReadOnlyList<string> layersTopFirst)
{
    public IReadOnlyList<string> Layers { get; } = layersTopFirst;

    /// <summary>The host path holding <paramref name="path"/> (absolute in the image) and its stat, or null.</summary>
    public (string Host, FileStat Stat)? Find(string path)
    {
        var rel = path.Trim('/');
        foreach (var layer in Layers)
        {
            var host = rel.Length == 0 ? layer : layer + "/" + rel;
            if (!FileMetadata.TryLstat(host, out var st)) continue;
            if (st.Type == FileStat.S_IFCHR && st.Rdev == 0) return null; // whiteout
            return (host, st);
        }
        return null;
    }

    /// <summary>Resolves symlinks in the directories of <paramref name="path"/> inside the image (not the last
    /// component), so a COPY to <c>/bin/x</c> lands where <c>/bin</c> points.</summary>
    public string ResolveParents(string path)
    {
        var parts = new List<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        for (int hops = 0, i = 0; i < parts.Count - 1 && hops < 40; i++)
        {
            var prefix = "/" + string.Join('/', parts.Take(i + 1));
            if (Find(prefix) is not { Stat.IsSymlink: true } hit) continue;
            var target = new FileInfo(hit.Host).LinkTarget ?? "";
            var baseParts = target.StartsWith('/') ? [] : parts.Take(i).ToList();
            var rest = parts.Skip(i + 1).ToList();
            parts = Normalize([.. baseParts, .. target.Split('/', StringSplitOptions.RemoveEmptyEntries), .. rest]);
            i = -1;
            hops++;
        }
        return "/" + string.Join('/', parts);
    }

    private static List<string> Normalize(IEnumerable<string> parts)
    {
        var list = new List<string>();
        foreach (var p in parts)
        {
            if (p == ".") continue;
            if (p == "..") { if (list.Count > 0) list.RemoveAt(list.Count - 1); continue; }
            list.Add(p);
        }
        return list;
    }

    public string? ReadText(string path) =>
        Find(path) is { Stat.IsRegular: true } f ? File.ReadAllText(f.Host) : null;
}
