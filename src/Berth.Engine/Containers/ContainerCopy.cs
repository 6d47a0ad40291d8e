using System.Formats.Tar;
using System.IO.Pipes;
using Berth.Archive;
using Berth.Oci.Errors;

namespace Berth.Engine.Containers;

/// <summary>What a <c>cp</c> knows of one side of the copy (docker's archive.CopyInfo).</summary>
public sealed record CopyInfo
{
    public required string Path { get; init; }
    public bool Exists { get; init; }
    public bool IsDir { get; init; }
    /// <summary>The name the archive's top entry must take (a followed symlink's own name), or "".</summary>
    public string RebaseName { get; init; } = "";
}

/// <summary>The host half of <c>cp</c>, as docker's pkg/archive copy.go (the client side of the archive endpoints):
/// where a copy lands by docker's path rules (an existing directory receives the source; otherwise the source takes
/// the destination's name; "SRC/." copies a directory's content; a destination ending in "/" must be a directory),
/// host sources as tar, and archives extracted on the host (resolved inside the destination directory).</summary>
public static class ContainerCopy
{
    /// <summary>filepath.Clean, keeping a trailing "/." as docker's SplitPathDirEntry does: ("/a/b/.", ".") → dir
    /// "/a/b", base ".".</summary>
    public static (string Dir, string Base) SplitPathDirEntry(string path)
    {
        var cleaned = Clean(path);
        if (SpecifiesCurrentDir(path)) cleaned = cleaned.TrimEnd('/') + "/.";
        var slash = cleaned.LastIndexOf('/');
        if (slash < 0) return (".", cleaned);
        var dir = slash == 0 ? "/" : cleaned[..slash];
        var name = cleaned[(slash + 1)..];
        return (dir, name.Length == 0 ? "/" : name);
    }

    public static bool SpecifiesCurrentDir(string path) => path == "." || path.EndsWith("/.", StringComparison.Ordinal);

    public static bool HasTrailingSeparator(string path) => path.Length > 0 && path[^1] == '/';

    /// <summary>Whether the path says it is a directory ("x/" or "x/.").</summary>
    public static bool AssertsDirectory(string path) => HasTrailingSeparator(path) || SpecifiesCurrentDir(path);

    /// <summary>Go's filepath.Clean.</summary>
    public static string Clean(string path)
    {
        if (path.Length == 0) return ".";
        var rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var e in path.Split('/'))
        {
            if (e is "" or ".") continue;
            if (e == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
                else if (!rooted) parts.Add("..");
                continue;
            }
            parts.Add(e);
        }
        var joined = string.Join('/', parts);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }

    /// <summary>filepath.Abs, keeping a trailing "/" or "/." (docker's PreserveTrailingDotOrSeparator).</summary>
    public static string AbsoluteKeepingTrailing(string path)
    {
        var abs = Clean(System.IO.Path.GetFullPath(path));
        if (SpecifiesCurrentDir(path) && !SpecifiesCurrentDir(abs)) abs = abs.TrimEnd('/') + "/.";
        else if (HasTrailingSeparator(path) && !HasTrailingSeparator(abs)) abs += "/";
        return abs;
    }

    /// <summary>docker's GetRebaseName: the resolved path with the original's trailing "/" or "/.", and the name to
    /// rebase to when resolving changed the last element.</summary>
    public static (string Path, string RebaseName) GetRebaseName(string path, string resolved)
    {
        if (SpecifiesCurrentDir(path) && !SpecifiesCurrentDir(resolved)) resolved = resolved.TrimEnd('/') + "/.";
        if (HasTrailingSeparator(path) && !HasTrailingSeparator(resolved)) resolved += "/";
        var rebase = GoBase(path) != GoBase(resolved) ? GoBase(path) : "";
        return (resolved, rebase);
    }

    private static string GoBase(string path)
    {
        var trimmed = path.TrimEnd('/');
        if (trimmed.Length == 0) return path.Length == 0 ? "." : "/";
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    /// <summary>docker's CopyInfoSourcePath for a host source: the directories before the last element resolved (the
    /// last one too with <paramref name="followLink"/>, <c>-L</c>), which must exist.</summary>
    public static CopyInfo HostSource(string path, bool followLink)
    {
        string resolved;
        var rebase = "";
        if (followLink)
        {
            (resolved, rebase) = GetRebaseName(path, EvalSymlinks(path));
        }
        else
        {
            var slash = path.LastIndexOf('/');
            var (dir, name) = slash < 0 ? (".", path) : (path[..(slash + 1)], path[(slash + 1)..]);
            resolved = EvalSymlinks(dir).TrimEnd('/') + "/" + name;
            if (HasTrailingSeparator(path) && GoBase(path) != GoBase(resolved)) rebase = GoBase(path);
        }
        var info = Lstat(resolved);
        return new CopyInfo { Path = resolved, Exists = true, IsDir = info is DirectoryInfo && info.LinkTarget is null, RebaseName = rebase };
    }

    /// <summary>docker's CopyInfoDestinationPath for a host destination: symlinks at the end are followed (a
    /// dangling one names what the copy creates); a missing destination needs an existing parent directory.</summary>
    public static CopyInfo HostDestination(string path)
    {
        var original = path;
        var info = TryLstat(path);
        for (var n = 0; info is not null && info.LinkTarget is not null; n++)
        {
            if (n > 10) throw BerthException.Invalid("too many symlinks in " + original);
            var target = info.LinkTarget;
            if (!target.StartsWith('/')) target = Clean(SplitPathDirEntry(path).Dir + "/" + target);
            path = target;
            info = TryLstat(path);
        }
        if (info is not null) return new CopyInfo { Path = path, Exists = true, IsDir = info is DirectoryInfo };
        var parent = SplitPathDirEntry(path).Dir;
        if (!Directory.Exists(parent))
        {
            if (File.Exists(parent)) throw BerthException.Invalid("not a directory");
            throw BerthException.NotFound($"stat {parent}: no such file or directory");
        }
        return new CopyInfo { Path = path };
    }

    /// <summary>docker's PrepareArchiveCopy: the directory to extract the source's archive into, and the rename of
    /// its top entry (old, new) that makes it land at the destination, or null when it lands as it is.</summary>
    public static (string Dir, (string Old, string New)? Rebase) PrepareArchiveCopy(CopyInfo src, CopyInfo dst)
    {
        var (dstDir, dstBase) = SplitPathDirEntry(dst.Path);
        var srcBase = src.RebaseName.Length > 0 ? src.RebaseName : SplitPathDirEntry(src.Path).Base;
        if (dst.Exists && dst.IsDir) return (dst.Path, null);
        if (dst.Exists && src.IsDir) throw BerthException.Invalid("cannot copy directory");
        if (dst.Exists || src.IsDir) return (dstDir, (srcBase, dstBase));
        if (AssertsDirectory(dst.Path)) throw BerthException.NotFound("no such directory");
        return (dstDir, (srcBase, dstBase));
    }

    /// <summary>A tar of a host source (docker's TarResource): entries named after its last element, or "./…" for
    /// "DIR/."; symlinks stored as symlinks.</summary>
    public static void WriteHostArchive(CopyInfo src, Stream output, CancellationToken ct)
    {
        var (dir, name) = SplitPathDirEntry(src.Path);
        var top = src.RebaseName.Length > 0 ? src.RebaseName : name;
        var source = name == "." ? dir : System.IO.Path.Combine(dir, name);
        using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        void Walk(string hostPath, string entryName)
        {
            ct.ThrowIfCancellationRequested();
            tar.WriteEntry(hostPath, entryName);
            var info = TryLstat(hostPath);
            if (info is not DirectoryInfo || info.LinkTarget is not null) return;
            foreach (var child in Directory.EnumerateFileSystemEntries(hostPath).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal))
                Walk(System.IO.Path.Combine(hostPath, child!), entryName + "/" + child);
        }
        Walk(source, top);
    }

    /// <summary>docker's RebaseArchiveEntries: the archive with its top entry <paramref name="oldBase"/> (and all under
    /// it, hard link targets too) renamed to <paramref name="newBase"/>, produced as it is read.</summary>
    public static Stream Rebase(Stream source, string oldBase, string newBase, CancellationToken ct)
    {
        var pipe = new AnonymousPipeServerStream(PipeDirection.Out, System.IO.HandleInheritability.None);
        var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        string Renamed(string name)
        {
            var trimmed = name.StartsWith("./", StringComparison.Ordinal) && oldBase != "." ? name[2..] : name;
            if (trimmed == oldBase || trimmed == oldBase + "/") return newBase + trimmed[oldBase.Length..];
            if (trimmed.StartsWith(oldBase + "/", StringComparison.Ordinal)) return newBase + trimmed[oldBase.Length..];
            return name;
        }
        var thread = new Thread(() =>
        {
            try
            {
                using var input = new TarReader(source, leaveOpen: true);
                using var output = new TarWriter(pipe, TarEntryFormat.Pax, leaveOpen: true);
                while (input.GetNextEntry(copyData: true) is { } entry)
                {
                    ct.ThrowIfCancellationRequested();
                    entry.Name = Renamed(entry.Name);
                    if (entry.EntryType == TarEntryType.HardLink) entry.LinkName = Renamed(entry.LinkName);
                    output.WriteEntry(entry);
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or OperationCanceledException or ObjectDisposedException)
            {
                // The reader sees the archive end early and reports it; or the reader failed first (the destination
                // vanished) and closed the source under this thread, and its error is the one to tell.
            }
            finally
            {
                pipe.Dispose();
            }
        }) { Name = "berth cp rebase", IsBackground = true };
        thread.Start();
        return reader;
    }

    /// <summary>Extracts an archive into the host directory <paramref name="dir"/> (docker's CLI untar: owners are
    /// not changed, NoLchown), every entry resolved inside it.</summary>
    public static void ExtractToHost(Stream tar, string dir, CancellationToken ct) =>
        LayerApplier.Apply(tar, dir, new ApplyOptions { PreserveOwnership = false, ApplyXattrs = false }, ct);

    private static FileSystemInfo? TryLstat(string path)
    {
        FileSystemInfo info = Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null ? new DirectoryInfo(path) : new FileInfo(path);
        return info.Exists || info.LinkTarget is not null ? info : null;
    }

    private static FileSystemInfo Lstat(string path) =>
        TryLstat(path) ?? throw BerthException.NotFound($"lstat {path.TrimEnd('/')}: no such file or directory");

    /// <summary>filepath.EvalSymlinks on the host: every symlink resolved; the path must exist.</summary>
    private static string EvalSymlinks(string path)
    {
        var abs = Clean(System.IO.Path.GetFullPath(path.Length == 0 ? "." : path));
        var resolved = "/";
        var pending = new Stack<string>(abs.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        for (var links = 0; pending.TryPop(out var element);)
        {
            if (element == "..")
            {
                resolved = SplitPathDirEntry(resolved).Dir;
                continue;
            }
            var candidate = resolved == "/" ? "/" + element : resolved + "/" + element;
            var info = Lstat(candidate);
            if (info.LinkTarget is { } target)
            {
                if (++links > 255) throw BerthException.Invalid($"EvalSymlinks: too many links in {path}");
                if (target.StartsWith('/')) resolved = "/";
                foreach (var t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) if (t != ".") pending.Push(t);
                continue;
            }
            resolved = candidate;
        }
        return resolved;
    }
}
