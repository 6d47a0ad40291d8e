using Berth.Oci.Errors;
using Berth.Storage.Files;

namespace Berth.Build.Steps;

/// <summary>
/// Read access to an image's root filesystem without mounting it: the layer snapshot directories, top first, are
/// searched for a path the way overlayfs merges them (a 0/0 character device is a whiteout that hides lower layers;
/// a non-directory hides everything below it; only directories merge). Opaque directories are not honoured yet.
/// <para><see cref="Find"/> never follows a symlink, not even one inside a layer directory on the host: each
/// component is looked up only in the layers where the path so far is a real directory. <see cref="Resolve"/>
/// follows the image's symlinks the way the kernel would inside a chroot of the image: an absolute target counts
/// from the image root and ".." stops there, so no link made by a RUN step or a base image leads to the host.</para>
/// </summary>
public sealed class ImageTree(IReadOnlyList<string> layersTopFirst)
{
    private const int MaxSymlinks = 40;

    public IReadOnlyList<string> Layers { get; } = layersTopFirst;

    /// <summary>The host path holding <paramref name="path"/> (absolute in the image, already resolved: a symlink
    /// among its directories makes it not found) and its lstat, or null.</summary>
    public (string Host, FileStat Stat)? Find(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (Layers.Count == 0) return null;
        if (parts.Length == 0) return FileMetadata.TryLstat(Layers[0], out var rootStat) ? (Layers[0], rootStat) : null;
        // The host directories, top layer first, that make up the directory reached so far.
        IReadOnlyList<string> dirs = Layers;
        for (int i = 0; i < parts.Length; i++)
        {
            (string Host, FileStat Stat)? found = null;
            var merged = new List<string>();
            foreach (var dir in dirs)
            {
                var host = dir + "/" + parts[i];
                if (!FileMetadata.TryLstat(host, out var st)) continue;
                if (IsWhiteout(st)) break;
                found ??= (host, st);
                // Only directories merge with the layers below; anything else hides them.
                if (!st.IsDirectory || !found.Value.Stat.IsDirectory) break;
                merged.Add(host);
            }
            if (found is not { } hit) return null;
            if (i == parts.Length - 1) return hit;
            if (!hit.Stat.IsDirectory) return null;
            dirs = merged;
        }
        return null;
    }

    /// <summary>The directory's entries in the merged view: names of every layer's directory, whiteouts and what
    /// they hide left out. <paramref name="path"/> must be resolved.</summary>
    public IEnumerable<string> List(string path)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var hidden = new HashSet<string>(StringComparer.Ordinal);
        foreach (var host in MergedDirectories(path))
        {
            foreach (var e in Directory.EnumerateFileSystemEntries(host))
            {
                var name = Path.GetFileName(e);
                if (hidden.Contains(name) || names.Contains(name)) continue;
                if (FileMetadata.TryLstat(e, out var st) && IsWhiteout(st)) { hidden.Add(name); continue; }
                names.Add(name);
            }
        }
        return names;
    }

    /// <summary>The layer directories (host paths, top first) whose contents make up directory <paramref name="path"/>.</summary>
    private List<string> MergedDirectories(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var dirs = Layers.Where(l => Directory.Exists(l)).ToList();
        foreach (var part in parts)
        {
            var merged = new List<string>();
            foreach (var dir in dirs)
            {
                var host = dir + "/" + part;
                if (!FileMetadata.TryLstat(host, out var st)) continue;
                if (!st.IsDirectory) break; // a whiteout or a non-directory hides the rest
                merged.Add(host);
            }
            dirs = merged;
        }
        return dirs;
    }

    /// <summary>Resolves the symlinks of <paramref name="path"/> inside the image, the last component's too when
    /// <paramref name="followFinal"/>: absolute targets count from the image root, ".." stops at it, and what does
    /// not exist is kept as written (a link to a missing directory resolves to that directory, which a COPY then
    /// creates). Returns an absolute, clean path with no symlink among its directories.</summary>
    public string Resolve(string path, bool followFinal)
    {
        var pending = new LinkedList<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var resolved = new List<string>();
        bool missing = false; // once a component is missing, the rest is only cleaned
        int links = 0;
        while (pending.First is { } node)
        {
            var part = node.Value;
            pending.RemoveFirst();
            if (part == ".") continue;
            if (part == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            resolved.Add(part);
            if (missing || (pending.Count == 0 && !followFinal)) continue;
            var hit = Find("/" + string.Join('/', resolved));
            if (hit is null) { missing = true; continue; }
            if (!hit.Value.Stat.IsSymlink) continue;
            if (++links > MaxSymlinks)
                throw BerthException.Invalid($"{path}: too many levels of symbolic links in the image");
            var target = new FileInfo(hit.Value.Host).LinkTarget ?? "";
            resolved.RemoveAt(resolved.Count - 1);
            if (target.StartsWith('/')) resolved.Clear();
            var parts = target.Split('/', StringSplitOptions.RemoveEmptyEntries);
            for (int i = parts.Length - 1; i >= 0; i--) pending.AddFirst(parts[i]);
        }
        return "/" + string.Join('/', resolved);
    }

    /// <summary>The text of the file <paramref name="path"/> leads to inside the image (symlinks followed within it).</summary>
    public string? ReadText(string path) =>
        Find(Resolve(path, followFinal: true)) is { Stat.IsRegular: true } f ? File.ReadAllText(f.Host) : null;

    private static bool IsWhiteout(FileStat st) => st.Type == FileStat.S_IFCHR && st.Rdev == 0;
}
