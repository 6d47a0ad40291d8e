using System.Formats.Tar;
using System.Globalization;
using System.IO.Pipes;
using Berth.Archive;
using Berth.Oci.Errors;
using Berth.Runtime;
using Berth.Runtime.Rootfs;
using Berth.Storage.Metadata;

namespace Berth.Engine.Containers;

/// <summary>The container's filesystem as archives, docker's <c>HEAD/GET/PUT /containers/{id}/archive</c> (and so
/// <c>cp</c>): <see cref="StatPath"/>, <see cref="GetArchive"/> and <see cref="PutArchive"/>. A running container is
/// reached through its init's root (<c>/proc/PID/root</c>: its overlay, volumes and mounts, as docker's); a stopped
/// one through its overlay mounted in a private mount namespace (<see cref="OverlayView"/>), writable for a put,
/// holding the container's lock so no start comes in between. Every container path is resolved inside that root
/// (<see cref="RootedTree"/>, <c>openat2(RESOLVE_IN_ROOT)</c>): an absolute symlink or a ".." never leads to the host,
/// and a put's entries are applied by <see cref="LayerApplier"/>, which refuses names that climb out.</summary>
public sealed partial class ContainerService
{
    /// <summary>Docker's stat of a container path: the final component is not followed (a symlink is reported with
    /// its target resolved inside the root), the directories before it are.</summary>
    public ContainerPathStat StatPath(ContainerRow row, string path) =>
        WithRootFs(row, write: false, root =>
        {
            using var tree = RootedTree.Open(root);
            var (entry, stat) = Locate(tree, row, path);
            entry.Dispose();
            return stat;
        });

    /// <summary>A tar of <paramref name="path"/> (a file, or a directory with everything under it) whose entries are
    /// named after the path's last element ("etc/…", or "./…" for a path ending in "/."), and its stat.</summary>
    public ContainerPathStat GetArchive(ContainerRow row, string path, Stream output, CancellationToken ct) =>
        WithRootFs(row, write: false, root =>
        {
            using var tree = RootedTree.Open(root);
            var (entry, stat) = Locate(tree, row, path);
            using (entry)
            using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
                WriteTree(tar, entry, stat.Name == "/" ? "." : stat.Name, ct);
            Record(row, "archive-path");
            return stat;
        });

    /// <summary>Extracts <paramref name="tar"/> (plain or compressed) into the directory <paramref name="path"/> of the
    /// container (it must exist: docker's PUT archive). Owners are the archive's, or with <paramref name="copyUidGid"/> (<c>cp -a</c>)
    /// the container's user's, as dockerd's tarCopyOptions.</summary>
    public void PutArchive(ContainerRow row, string path, Stream tar, bool copyUidGid, CancellationToken ct)
    {
        (int Uid, int Gid)? owner = null;
        if (copyUidGid && SpecOf(DirOf(row.Id)).Process?.User is { } user) owner = ((int)user.Uid, (int)user.Gid);
        // A compressed archive (gzip, zstd) is taken too, as dockerd's DecompressStream takes it.
        using var plain = Compressions.OpenDecompressed(tar, out _, leaveOpen: true);
        WithRootFs(row, write: true, root =>
        {
            string prefix;
            using (var tree = RootedTree.Open(root))
            {
                prefix = ResolveInRoot(tree, path, followFinal: true) ?? throw NotFoundIn(row, path);
                using var dir = tree.Find(prefix, followFinal: false) ?? throw NotFoundIn(row, path);
                if (!dir.IsDirectory) throw BerthException.Invalid("extraction point is not a directory");
            }
            ApplyRebased(plain, root, prefix, owner, ct);
            return 0;
        });
        Record(row, "extract-to-dir");
    }

    private static BerthException NotFoundIn(ContainerRow row, string path) =>
        BerthException.NotFound($"Could not find the file {path} in container {row.Name}");

    /// <summary>Runs <paramref name="body"/> on a host path that is the container's root.</summary>
    private T WithRootFs<T>(ContainerRow row, bool write, Func<string, T> body)
    {
        row = Reconcile(row);
        if (row.Status != "running")
        {
            using var held = Store.LockContainer(row.Id, CancellationToken.None);
            row = Reconcile(CurrentOrGone(row.Id, held));
            if (row.Status != "running")
            {
                var dir = DirOf(row.Id);
                // Writable: the upper dir takes the changes (it cannot be a lower layer of the same mount too).
                return write
                    ? OverlayView.Run(ConfigOf(row).LowerDirs, Path.Combine(dir, "upper"), Path.Combine(dir, "work"), body)
                    : OverlayView.Run(LayersOf(row), null, null, body);
            }
        }
        var result = body($"/proc/{row.Pid.ToString(CultureInfo.InvariantCulture)}/root");
        // The PID was the container's init all along, not a process that took its number after it exited.
        if (!Berth.Runtime.Process.ProcessInfo.IsAlive(row.Pid, row.PidStart)) throw BerthException.Conflict($"container {row.Id} stopped during the copy");
        return result;
    }

    /// <summary>dockerd's ResolvePath + StatPath: the directory part is resolved (symlinks followed inside the root),
    /// the last element is looked at as it is; a path ending in "/" or "/." names the directory itself.</summary>
    private static (RootedEntry Entry, ContainerPathStat Stat) Locate(RootedTree tree, ContainerRow row, string path)
    {
        var abs = "/" + path.TrimStart('/');
        var slash = abs.LastIndexOf('/');
        var (dirPart, basePart) = (abs[..(slash + 1)], abs[(slash + 1)..]);
        var dir = ResolveInRoot(tree, dirPart, followFinal: true) ?? throw NotFoundIn(row, path);
        var full = basePart is "" or "." ? dir : Join(dir, basePart);
        var entry = tree.Find(full, followFinal: false) ?? throw NotFoundIn(row, path);
        if (basePart is "" or "." && !entry.IsDirectory)
        {
            entry.Dispose();
            throw NotFoundIn(row, path);
        }
        var linkTarget = "";
        if (entry.IsSymlink) linkTarget = "/" + (ResolveInRoot(tree, full, followFinal: true) ?? LexicalTarget(dir, entry.ReadLink()));
        var stat = new ContainerPathStat
        {
            Name = GoBase(abs),
            Size = entry.Size,
            Mode = ContainerPathStat.GoMode(entry.Mode),
            Mtime = RfcNano(DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks(entry.MtimeNs / 100)),
            LinkTarget = linkTarget,
        };
        return (entry, stat);
    }

    /// <summary>A dangling link's target, cleaned against the directory it is in.</summary>
    private static string LexicalTarget(string dir, string target) =>
        CleanPath(target.StartsWith('/') ? target : "/" + Join(dir, target)).TrimStart('/');

    /// <summary>Go's filepath.Base: the last element, trailing slashes dropped; "/" for the root.</summary>
    private static string GoBase(string path)
    {
        var trimmed = path.TrimEnd('/');
        if (trimmed.Length == 0) return "/";
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    private static string Join(string dir, string name) => dir.Length == 0 ? name : dir + "/" + name;

    /// <summary>The path inside the root that <paramref name="path"/> names, every symlink resolved inside the root
    /// (the last one only with <paramref name="followFinal"/>), "" for the root; null when some element is
    /// missing or a non-directory is walked through.</summary>
    private static string? ResolveInRoot(RootedTree tree, string path, bool followFinal)
    {
        var pending = new Stack<string>(Elements(path).Reverse());
        var resolved = new List<string>();
        var links = 0;
        while (pending.TryPop(out var element))
        {
            if (element == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var candidate = string.Join('/', [.. resolved, element]);
            using var entry = tree.Find(candidate, followFinal: false);
            if (entry is null) return null;
            var last = pending.Count == 0;
            if (entry.IsSymlink && (!last || followFinal))
            {
                // Linux's limit (MAXSYMLINKS, path_resolution(7)).
                if (++links > 40) throw BerthException.Invalid($"{path}: too many levels of symbolic links");
                var target = entry.ReadLink();
                if (target.StartsWith('/')) resolved.Clear();
                foreach (var t in Elements(target).Reverse()) pending.Push(t);
                continue;
            }
            if (!last && !entry.IsDirectory) return null;
            resolved.Add(element);
        }
        return string.Join('/', resolved);
    }

    private static IEnumerable<string> Elements(string path) => path.Split('/').Where(e => e is not ("" or "."));

    private static void WriteTree(TarWriter tar, RootedEntry entry, string name, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var type = (entry.Mode & 0xF000) switch
        {
            0x4000 => TarEntryType.Directory,
            0xA000 => TarEntryType.SymbolicLink,
            0x8000 => TarEntryType.RegularFile,
            0x2000 => TarEntryType.CharacterDevice,
            0x6000 => TarEntryType.BlockDevice,
            0x1000 => TarEntryType.Fifo,
            _ => (TarEntryType?)null,
        };
        // Sockets have no tar form (docker skips them too).
        if (type is null) return;
        var tarEntry = new PaxTarEntry(type.Value, type == TarEntryType.Directory ? name + "/" : name)
        {
            Mode = (UnixFileMode)(entry.Mode & 0xFFF),
            Uid = (int)entry.Uid,
            Gid = (int)entry.Gid,
            ModificationTime = DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks(entry.MtimeNs / 100),
        };
        if (type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
        {
            tarEntry.DeviceMajor = (int)(entry.Rdev >> 8 & 0xFFF | entry.Rdev >> 32 & 0xFFFFF000);
            tarEntry.DeviceMinor = (int)(entry.Rdev & 0xFF | entry.Rdev >> 12 & 0xFFFFFF00);
        }
        switch (type)
        {
            case TarEntryType.SymbolicLink:
                tarEntry.LinkName = entry.ReadLink();
                tar.WriteEntry(tarEntry);
                break;
            case TarEntryType.RegularFile:
                using (var data = entry.OpenRead())
                {
                    tarEntry.DataStream = data;
                    tar.WriteEntry(tarEntry);
                }
                break;
            case TarEntryType.Directory:
                tar.WriteEntry(tarEntry);
                foreach (var child in entry.Names())
                {
                    using var c = entry.Child(child);
                    if (c is not null) WriteTree(tar, c, name + "/" + child, ct);
                }
                break;
            default:
                tar.WriteEntry(tarEntry);
                break;
        }
    }

    /// <summary>Applies <paramref name="tar"/> under <paramref name="prefix"/> of <paramref name="root"/>: each entry's
    /// name (and hard link target) is cleaned and prefixed on the way, so the applier resolves it inside the root,
    /// and a name climbing above the extraction directory ("../x") is refused as a breakout.</summary>
    private static void ApplyRebased(Stream tar, string root, string prefix, (int Uid, int Gid)? owner, CancellationToken ct)
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out, System.IO.HandleInheritability.None);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        Exception? rewriteFailure = null;
        var rewriter = new Thread(() =>
        {
            try
            {
                // copyData: TarWriter needs each entry's data seekable (its length up front), which a pipe's is not.
                using var input = new TarReader(tar, leaveOpen: true);
                using var output = new TarWriter(pipe, TarEntryFormat.Pax, leaveOpen: true);
                while (input.GetNextEntry(copyData: true) is { } entry)
                {
                    ct.ThrowIfCancellationRequested();
                    var what = $"archive entry \"{entry.Name}\"";
                    var name = Rebased(entry.Name, prefix, what);
                    if (name is null) continue;
                    if (entry.EntryType == TarEntryType.HardLink)
                        entry.LinkName = Rebased(entry.LinkName, prefix, $"{what}: hard link target \"{entry.LinkName}\"") ?? prefix;
                    entry.Name = name;
                    if (owner is { } o) (entry.Uid, entry.Gid) = o;
                    output.WriteEntry(entry);
                }
            }
            catch (Exception e)
            {
                rewriteFailure = e;
            }
            finally
            {
                pipe.Dispose();
            }
        }) { Name = "berth archive rebase", IsBackground = true };
        rewriter.Start();
        try
        {
            LayerApplier.Apply(reader, root, new ApplyOptions { PreserveOwnership = true }, ct);
        }
        catch (Exception) when (rewriteFailure is not null || !rewriter.Join(0))
        {
            // The rewriter's reason comes first: the applier only saw the stream end early.
            reader.Dispose();
            rewriter.Join();
            if (rewriteFailure is not null) Throw(rewriteFailure);
            throw;
        }
        rewriter.Join();
        if (rewriteFailure is not null) Throw(rewriteFailure);
    }

    private static void Throw(Exception e) => throw e switch
    {
        BerthException b => b,
        InvalidDataException or FormatException => BerthException.Invalid($"invalid tar archive: {e.Message}"),
        _ => new BerthException(ErrorKind.Internal, e.Message, e),
    };

    /// <summary>An archive entry's name under <paramref name="prefix"/>; null for one to leave out (the extraction
    /// directory's own entry at the root, whiteout-named files, which the applier would take for overlay marks).</summary>
    private static string? Rebased(string name, string prefix, string what)
    {
        var parts = new List<string>();
        foreach (var element in Elements(name))
        {
            if (element != "..")
            {
                parts.Add(element);
                continue;
            }
            if (parts.Count == 0) throw BerthException.Invalid($"{what}: path escapes the extraction directory (breakout attempt)");
            parts.RemoveAt(parts.Count - 1);
        }
        if (parts.Count > 0 && parts[^1].StartsWith(".wh.", StringComparison.Ordinal)) return null;
        var rebased = string.Join('/', prefix.Length == 0 ? parts : [prefix, .. parts]);
        return rebased.Length == 0 ? null : rebased;
    }
}
