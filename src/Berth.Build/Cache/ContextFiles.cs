using Berth.Dockerfile.Ignore;
using Berth.Storage.Files;

namespace Berth.Build.Cache;

/// <summary>
/// The build context as COPY/ADD see it: .dockerignore applied, walked with lstat, and each regular file's content
/// digest. Digests are remembered (<see cref="FileDigests"/>), so an unchanged rebuild reads no file contents; the
/// cache key itself uses only the content digests (BuildKit's contenthash does the same with its per-path tree),
/// never mtimes.
/// </summary>
public sealed class ContextFiles : ISourceFiles
{
    private readonly FileDigests _digests;
    private readonly DockerIgnore _ignore;

    public ContextFiles(FileDigests digests, string root, DockerIgnore ignore)
    {
        _digests = digests;
        Root = Path.GetFullPath(root).TrimEnd('/');
        if (Root.Length == 0) Root = "/";
        _ignore = ignore;
    }

    public string Root { get; }

    /// <summary>True when a context-relative path (slash-separated, no leading slash) is excluded.</summary>
    public bool IsIgnored(string relative) => relative.Length > 0 && _ignore.Matches(relative);

    public string HostPath(string relative) => relative.Length == 0 ? Root : Root + "/" + relative;

    /// <summary>Context paths matching <paramref name="pattern"/> (cleaned, relative; may hold <c>* ? [</c>).</summary>
    public IReadOnlyList<string> Glob(string pattern)
    {
        var parts = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = new List<string> { "" };
        foreach (var part in parts)
        {
            var next = new List<string>();
            foreach (var dir in current)
            {
                var host = HostPath(dir);
                if (!Globs.HasMeta(part))
                {
                    var rel = dir.Length == 0 ? part : dir + "/" + part;
                    if (FileMetadata.TryLstat(HostPath(rel), out _)) next.Add(rel);
                    continue;
                }
                if (!Directory.Exists(host)) continue;
                foreach (var e in Directory.EnumerateFileSystemEntries(host).Order(StringComparer.Ordinal))
                {
                    var name = Path.GetFileName(e);
                    if (Globs.Match(part, name)) next.Add(dir.Length == 0 ? name : dir + "/" + name);
                }
            }
            current = next;
        }
        return current.Where(p => p.Length > 0 && !IsIgnored(p)).ToList();
    }

    /// <summary>The entry at <paramref name="relative"/> and, for a directory, everything below it that is not
    /// ignored, in ordinal path order. A top-level symlink is followed (as BuildKit's COPY does), inner ones are not.</summary>
    public List<ContextEntry> Walk(string relative, IgnoreRules? excludes, CancellationToken ct)
    {
        var list = new List<ContextEntry>();
        var host = HostPath(relative);
        if (!FileMetadata.TryLstat(host, out var st)) return list;
        if (st.IsSymlink && File.ResolveLinkTarget(host, returnFinalTarget: true) is { } target && FileMetadata.TryLstat(target.FullName, out var tst))
        {
            if (tst.IsDirectory) { host = target.FullName; st = tst; }
            else if (tst.IsRegular) { list.Add(Entry(target.FullName, relative, tst)); return list; }
        }
        list.Add(Entry(host, relative, st));
        if (st.IsDirectory) WalkDir(host, relative, excludes, list, ct, relative.Length);
        return list;
    }

    private void WalkDir(string host, string relative, IgnoreRules? excludes, List<ContextEntry> list, CancellationToken ct, int sourceLength)
    {
        ct.ThrowIfCancellationRequested();
        foreach (var e in Directory.EnumerateFileSystemEntries(host).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(e);
            var rel = relative.Length == 0 ? name : relative + "/" + name;
            if (!FileMetadata.TryLstat(e, out var st)) continue;
            if (IsIgnored(rel))
            {
                if (!st.IsDirectory || _ignore.CanSkipDirectory(rel)) continue;
                WalkDir(e, rel, excludes, list, ct, sourceLength); // an ignored directory may hold re-included (!) files
                continue;
            }
            if (excludes is not null && excludes.Excludes(rel, sourceLength)) continue;
            list.Add(Entry(e, rel, st));
            if (st.IsDirectory) WalkDir(e, rel, excludes, list, ct, sourceLength);
        }
    }

    private ContextEntry Entry(string host, string rel, FileStat st)
    {
        string? link = st.IsSymlink ? new FileInfo(host).LinkTarget : null;
        string? digest = st.IsRegular ? _digests.DigestOf(Root, host, st) : null;
        return new ContextEntry(host, rel, st, link, digest);
    }

    /// <summary>The part of a cache key an entry contributes: path, type, permissions, link target and content.
    /// Left out on purpose: mtime/ctime/inode (touching a file must not bust the cache) and the owner (COPY without
    /// --chown writes 0:0 whatever the context says, so the source owner cannot change the layer).</summary>
    public static string Describe(ContextEntry e, string destination) =>
        $"{destination}\0{e.Stat.Type:x}\0{Convert.ToString((int)e.Stat.Permissions, 8)}\0{e.LinkTarget}\0{e.ContentDigest}";
}
