using Berth.Archive;
using Berth.Dockerfile.Ignore;
using Berth.Oci.Errors;
using Berth.Storage.Files;

namespace Berth.Build.Cache;

/// <summary>
/// The build context as COPY/ADD see it: .dockerignore applied, walked through descriptors, and each regular file's
/// content digest. Every source path is resolved inside the context (<see cref="RootedTree"/>), as BuildKit does:
/// a symlink in it is followed only within the context, its absolute target counting from the context root, so
/// <c>etc -&gt; /etc</c> names <c>&lt;context&gt;/etc</c> and never the host's. Digests are remembered
/// (<see cref="FileDigests"/>), so an unchanged rebuild reads no file contents; the cache key itself uses only the
/// content digests (BuildKit's contenthash does the same with its per-path tree), never mtimes.
/// </summary>
public sealed class ContextFiles : ISourceFiles, IDisposable
{
    private readonly FileDigests _digests;
    private readonly DockerIgnore _ignore;
    private readonly RootedTree _tree;

    public ContextFiles(FileDigests digests, string root, DockerIgnore ignore)
    {
        _digests = digests;
        Root = Path.GetFullPath(root).TrimEnd('/');
        if (Root.Length == 0) Root = "/";
        _ignore = ignore;
        try
        {
            _tree = RootedTree.Open(Root);
        }
        catch (BerthException e)
        {
            throw new BerthException(e.Kind, $"unable to prepare context: {e.Message}", e);
        }
    }

    public string Root { get; }

    /// <summary>True when a context-relative path (slash-separated, no leading slash) is excluded.</summary>
    public bool IsIgnored(string relative) => relative.Length > 0 && _ignore.Matches(relative);

    /// <summary>True when <paramref name="pattern"/> names something in the context that .dockerignore excludes
    /// (and nothing it keeps): why a COPY of it finds nothing.</summary>
    public bool IsExcludedByIgnore(string pattern) =>
        ExpandPattern(pattern) is { Count: > 0 } all && all.All(p => p.Length > 0 && IsIgnored(p));

    public string HostPath(string relative) => relative.Length == 0 ? Root : Root + "/" + relative;

    /// <summary>The host path <paramref name="relative"/> leads to, resolved inside the context (symlinks followed
    /// within it), or null when it leads nowhere: for a bind mount of a context path, which the runtime mounts by
    /// path. The answer holds no symlink, so it stays inside the context unless the context changes meanwhile.</summary>
    public string? ResolvedHostPath(string relative)
    {
        using var e = _tree.Find(relative, followFinal: true);
        if (e is null) return null;
        var real = e.RealPath();
        return real == Root || real.StartsWith(Root + "/", StringComparison.Ordinal) ? real : null;
    }

    /// <summary>Context paths matching <paramref name="pattern"/> (cleaned, relative; may hold <c>* ? [</c>). A
    /// name without a pattern must exist (a symlink counts, whatever it points to); directories listed for a pattern
    /// are found inside the context.</summary>
    public IReadOnlyList<string> Glob(string pattern) => ExpandPattern(pattern).Where(p => p.Length > 0 && !IsIgnored(p)).ToList();

    private List<string> ExpandPattern(string pattern)
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
                    using var hit = _tree.Find(rel, followFinal: false);
                    if (hit is not null) next.Add(rel);
                    continue;
                }
                using var d = _tree.Find(dir, followFinal: true);
                if (d is not { IsDirectory: true }) continue;
                foreach (var name in d.Names())
                    if (Globs.Match(part, name)) next.Add(dir.Length == 0 ? name : dir + "/" + name);
            }
            current = next;
        }
        return current;
    }

    /// <summary>The entry at <paramref name="relative"/> and, for a directory, everything below it that is not
    /// ignored, in ordinal path order. A symlink at <paramref name="relative"/> is followed inside the context (as
    /// BuildKit's COPY does), inner ones are kept as symlinks. Empty when the path leads nowhere in the context.</summary>
    public List<ContextEntry> Walk(string relative, IgnoreRules? excludes, CancellationToken ct)
    {
        var list = new List<ContextEntry>();
        using var top = _tree.Find(relative, followFinal: true);
        if (top is null) return list;
        list.Add(Entry(top, relative));
        if (top.IsDirectory) WalkDir(top, relative, excludes, list, ct, relative.Length);
        return list;
    }

    private void WalkDir(RootedEntry dir, string relative, IgnoreRules? excludes, List<ContextEntry> list, CancellationToken ct, int sourceLength)
    {
        ct.ThrowIfCancellationRequested();
        foreach (var name in dir.Names())
        {
            var rel = relative.Length == 0 ? name : relative + "/" + name;
            using var child = dir.Child(name);
            if (child is null) continue; // removed since the listing
            if (IsIgnored(rel))
            {
                if (!child.IsDirectory || _ignore.CanSkipDirectory(rel)) continue;
                WalkDir(child, rel, excludes, list, ct, sourceLength); // an ignored directory may hold re-included (!) files
                continue;
            }
            if (excludes is not null && excludes.Excludes(rel, sourceLength)) continue;
            list.Add(Entry(child, rel));
            if (child.IsDirectory) WalkDir(child, rel, excludes, list, ct, sourceLength);
        }
    }

    private ContextEntry Entry(RootedEntry e, string rel)
    {
        var st = StatOf(e);
        string? link = e.IsSymlink ? e.ReadLink() : null;
        string? digest = e.IsRegular ? _digests.DigestOf(Root, HostPath(rel), st, e.OpenRead) : null;
        return new ContextEntry(HostPath(rel), rel, st, link, digest);
    }

    /// <summary>Opens the file again by its context path, inside the context, and refuses it unless it is the file
    /// that was hashed (same inode, size, mtime and ctime): a file or link swapped in since cannot slip into the
    /// layer under the digest of another.</summary>
    public Stream OpenRead(ContextEntry entry)
    {
        using var e = _tree.Find(entry.RelativePath, followFinal: true);
        if (e is null || !e.IsRegular || StatOf(e) is var st && (st.Inode != entry.Stat.Inode || st.Device != entry.Stat.Device
            || st.Size != entry.Stat.Size || st.MtimeNs != entry.Stat.MtimeNs || st.CtimeNs != entry.Stat.CtimeNs))
            throw BerthException.Conflict($"\"/{entry.RelativePath}\": changed in the build context during the build");
        return e.OpenRead();
    }

    private static FileStat StatOf(RootedEntry e) =>
        new(e.Mode, e.Uid, e.Gid, e.Size, e.Inode, e.Device, e.MtimeNs, e.CtimeNs, e.Rdev);

    /// <summary>The part of a cache key an entry contributes: path, type, permissions, link target and content.
    /// Left out on purpose: mtime/ctime/inode (touching a file must not bust the cache) and the owner (COPY without
    /// --chown writes 0:0 whatever the context says, so the source owner cannot change the layer).</summary>
    public static string Describe(ContextEntry e, string destination) =>
        $"{destination}\0{e.Stat.Type:x}\0{Convert.ToString((int)e.Stat.Permissions, 8)}\0{e.LinkTarget}\0{e.ContentDigest}";

    public void Dispose() => _tree.Dispose();
}
