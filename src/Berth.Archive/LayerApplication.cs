using Berth.Archive.Interop;
using Berth.Archive.Tar;
using Berth.Oci.Errors;
using static Berth.Archive.Interop.Interop;

namespace Berth.Archive;

/// <summary>One run of <see cref="LayerApplier.Apply"/>: the state that lives for one archive.</summary>
internal sealed class LayerApplication : IDisposable
{
    private const string OpaqueXattr = "trusted.overlay.opaque";
    private const long MaxTimeSeconds = 1L << 40;

    private readonly RootFs _root;
    private readonly ApplyOptions _options;
    private readonly HashSet<string>? _created;
    private readonly List<(byte[] Path, long Seconds, uint Nanoseconds)> _directoryTimes = [];
    private byte[]? _cachedParent;
    private SafeFdHandle? _cachedParentFd;
    private TarEntryReader? _reader;
    private long _entries, _bytes, _devices, _skipped, _whiteouts;

    public LayerApplication(RootFs root, ApplyOptions options)
    {
        _root = root;
        _options = options;
        // Delete mode must know which paths this layer made: an opaque marker keeps those, wherever it sits.
        _created = options.Whiteouts == WhiteoutMode.Delete ? new HashSet<string>(StringComparer.Ordinal) : null;
    }

    public void Dispose() => _cachedParentFd?.Dispose();

    public ApplyResult Run(Stream stream, CancellationToken ct)
    {
        _reader = new TarEntryReader(stream, _options.MaxHeaderBytes, _options.BufferSize);
        while (_reader.MoveNext(ct))
        {
            _entries++;
            TarHeader h = _reader.Current;
            byte[] path = EntryPath.Clean(h.Name, "layer entry");
            ApplyEntry(h, path, ct);
        }

        SetDirectoryTimes();
        return new ApplyResult
        {
            Entries = _entries,
            BytesWritten = _bytes,
            SkippedDevices = _devices,
            SkippedOther = _skipped,
            Whiteouts = _whiteouts,
            ArchiveBytes = _reader.Position,
        };
    }

    private void ApplyEntry(TarHeader h, byte[] path, CancellationToken ct)
    {
        if (path.Length == 0)
        {
            if (h.TypeFlag != TarEntryType.Directory) throw Invalid(h, "names the layer root but is not a directory");
            using SafeFdHandle self = Fs.OpenAt(_root.Root, "."u8, O_RDONLY | O_DIRECTORY, 0, Subject(h));
            SetMetadata(self, h, path);
            _directoryTimes.Add((path, h.MtimeSeconds, h.MtimeNanoseconds));
            return;
        }

        EntryPath.Split(path, out ReadOnlySpan<byte> parent, out ReadOnlySpan<byte> name);
        if (name.StartsWith(".wh."u8))
        {
            Whiteout(h, path, parent, name);
            return;
        }

        switch (h.TypeFlag)
        {
            case TarEntryType.Regular or TarEntryType.RegularV7 or TarEntryType.Contiguous:
                WriteFile(h, path, Parent(parent, h, create: true)!, name, ct);
                break;
            case TarEntryType.Directory:
                MakeDirectory(h, path, Parent(parent, h, create: true)!, name);
                break;
            case TarEntryType.SymbolicLink:
                MakeSymlink(h, path, Parent(parent, h, create: true)!, name);
                break;
            case TarEntryType.HardLink:
                MakeHardLink(h, path, Parent(parent, h, create: true)!, name);
                break;
            case TarEntryType.Fifo:
                MakeFifo(h, path, Parent(parent, h, create: true)!, name);
                break;
            case TarEntryType.CharDevice or TarEntryType.BlockDevice:
                // Security: an image must not bring device nodes to the host. The runtime makes /dev.
                _devices++;
                break;
            default:
                _skipped++;
                break;
        }
    }

    private void WriteFile(TarHeader h, byte[] path, SafeFdHandle dir, ReadOnlySpan<byte> name, CancellationToken ct)
    {
        SafeFdHandle fd = Create(h, dir, name, static (d, n) =>
        {
            int errno = Fs.TryOpenAt(d, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0x180, out SafeFdHandle f);
            return (errno, f);
        }, "openat");
        using (fd)
        {
            TarEntryReader reader = _reader!;
            while (true)
            {
                ReadOnlySpan<byte> chunk = reader.ReadChunk(ct);
                if (chunk.IsEmpty) break;
                int errno = Fs.WriteAll(fd, chunk);
                if (errno != 0) throw Error(errno, "write", null, Subject(h));
                _bytes += chunk.Length;
            }

            SetMetadata(fd, h, path);
            Check(Fs.Futimes(fd, Seconds(h), h.MtimeNanoseconds), "futimens", h);
        }

        NoteCreated(path);
    }

    private void MakeDirectory(TarHeader h, byte[] path, SafeFdHandle dir, ReadOnlySpan<byte> name)
    {
        int errno = Fs.MkdirAt(dir, name, 0x1C0);
        if (errno == EEXIST)
        {
            // Two directories merge and the later metadata wins; anything else is replaced (OCI layer.md).
            Check(Fs.StatAt(dir, name, out FileStatus existing), "statx", h);
            if (!existing.IsDirectory)
            {
                Remove(dir, name, h);
                errno = Fs.MkdirAt(dir, name, 0x1C0);
            }
            else
            {
                errno = 0;
            }
        }

        Check(errno, "mkdirat", h);
        using SafeFdHandle fd = Fs.OpenAt(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, Subject(h));
        SetMetadata(fd, h, path);
        _directoryTimes.Add((path, h.MtimeSeconds, h.MtimeNanoseconds));
        NoteCreated(path);
    }

    private void MakeSymlink(TarHeader h, byte[] path, SafeFdHandle dir, ReadOnlySpan<byte> name)
    {
        // The target is stored verbatim and never resolved here.
        byte[] target = h.LinkName;
        Create(h, dir, name, (d, n) => (Fs.SymlinkAt(target, d, n), null), "symlinkat");
        if (_options.PreserveOwnership) Check(Fs.LchownAt(dir, name, Id(h.Uid, h), Id(h.Gid, h)), "fchownat", h);
        if (_options.ApplyXattrs)
        {
            foreach ((string key, byte[] value) in h.Xattrs)
            {
                if (!DropXattr(key)) CheckXattr(Fs.LSetXattrAt(dir, name, key, value), key, h, regular: false);
            }
        }

        Check(Fs.LutimesAt(dir, name, Seconds(h), h.MtimeNanoseconds), "utimensat", h);
        NoteCreated(path);
    }

    private void MakeHardLink(TarHeader h, byte[] path, SafeFdHandle dir, ReadOnlySpan<byte> name)
    {
        // A leading "/" means the layer root (kaniko writes these); ".." out of it is a breakout.
        byte[] target = EntryPath.Clean(h.LinkName, $"layer entry \"{h.DisplayName}\": hard link target");
        if (target.Length == 0) throw Invalid(h, "is a hard link to the layer root");
        if (target.AsSpan().SequenceEqual(path)) return;
        EntryPath.Split(target, out ReadOnlySpan<byte> targetParent, out ReadOnlySpan<byte> targetName);

        SafeFdHandle? owned = null;
        try
        {
            SafeFdHandle targetDir = _root.Root;
            if (!targetParent.IsEmpty)
            {
                int errno = _root.TryOpen(targetParent, O_PATH | O_DIRECTORY, out owned);
                if (errno != 0) throw Invalid(h, $"hard link target \"{h.DisplayLinkName}\" does not exist in the layer");
                targetDir = owned;
            }

            if (Fs.StatAt(targetDir, targetName, out FileStatus targetStatus) != 0)
            {
                throw Invalid(h, $"hard link target \"{h.DisplayLinkName}\" does not exist in the layer");
            }

            if (targetStatus.IsDirectory) throw Invalid(h, $"hard link target \"{h.DisplayLinkName}\" is a directory");

            int result = Fs.LinkAt(targetDir, targetName, dir, name);
            if (result == EEXIST)
            {
                Check(Fs.StatAt(dir, name, out FileStatus existing), "statx", h);
                if (existing.Inode == targetStatus.Inode && existing.DevMajor == targetStatus.DevMajor &&
                    existing.DevMinor == targetStatus.DevMinor)
                {
                    result = 0;
                }
                else
                {
                    Remove(dir, name, h);
                    result = Fs.LinkAt(targetDir, targetName, dir, name);
                }
            }

            Check(result, "linkat", h);
        }
        finally
        {
            owned?.Dispose();
        }

        NoteCreated(path);
    }

    private void MakeFifo(TarHeader h, byte[] path, SafeFdHandle dir, ReadOnlySpan<byte> name)
    {
        Create(h, dir, name, static (d, n) => (Fs.MknodAt(d, n, S_IFIFO | 0x180, 0, 0), null), "mknodat");
        // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
        using SafeFdHandle fd = Fs.OpenAt(dir, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW, 0, Subject(h));
        SetMetadata(fd, h, path);
        Check(Fs.Futimes(fd, Seconds(h), h.MtimeNanoseconds), "futimens", h);
        NoteCreated(path);
    }

    private void Whiteout(TarHeader h, byte[] path, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> name)
    {
        _whiteouts++;
        if (name.SequenceEqual(".wh..wh..opq"u8))
        {
            Opaque(h, parent);
            return;
        }

        if (name.StartsWith(".wh..wh."u8))
        {
            // AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): not part of the image.
            _whiteouts--;
            _skipped++;
            return;
        }

        ReadOnlySpan<byte> hidden = name[4..];
        if (hidden.IsEmpty || hidden.SequenceEqual("."u8) || hidden.SequenceEqual(".."u8))
        {
            throw Invalid(h, "is a whiteout that names its own directory or its parent");
        }

        if (_options.Whiteouts == WhiteoutMode.Overlay)
        {
            SafeFdHandle dir = Parent(parent, h, create: true)!;
            Create(h, dir, hidden, static (d, n) => (Fs.MknodAt(d, n, S_IFCHR, 0, 0), null), "mknodat");
            if (_options.PreserveOwnership) Check(Fs.LchownAt(dir, hidden, Id(h.Uid, h), Id(h.Gid, h)), "fchownat", h);
            return;
        }

        // Whiteouts hide lower layers only, never entries of this same layer.
        byte[] target = EntryPath.Join(parent, hidden);
        if (_created!.Contains(EntryPath.Key(target))) return;
        SafeFdHandle? lower = Parent(parent, h, create: false);
        if (lower is not null) Remove(lower, hidden, h);
    }

    private void Opaque(TarHeader h, ReadOnlySpan<byte> parent)
    {
        if (_options.Whiteouts == WhiteoutMode.Overlay)
        {
            SafeFdHandle dir = Parent(parent, h, create: true)!;
            using SafeFdHandle fd = Fs.OpenAt(dir, "."u8, O_RDONLY | O_DIRECTORY, 0, Subject(h));
            Check(Fs.FSetXattr(fd, OpaqueXattr, "y"u8), "fsetxattr " + OpaqueXattr, h);
            return;
        }

        // The marker applies wherever it sits in the tar: remove what this layer did not make.
        SafeFdHandle? lower = Parent(parent, h, create: false);
        if (lower is null) return;
        byte[] parentPath = parent.ToArray();
        using (SafeFdHandle fd = Fs.OpenAt(lower, "."u8, O_RDONLY | O_DIRECTORY, 0, Subject(h)))
        {
            foreach ((byte[] child, _) in DirectoryReader.Read(fd, h.DisplayName))
            {
                if (!_created!.Contains(EntryPath.Key(EntryPath.Join(parentPath, child)))) Remove(fd, child, h);
            }
        }
    }

    /// <summary>Creates the final component with <paramref name="create"/>; if something is already there, it is
    /// removed (recursively for a directory) and the create retried: the later entry wins.</summary>
    private SafeFdHandle Create(TarHeader h, SafeFdHandle dir, ReadOnlySpan<byte> name,
        Func<SafeFdHandle, byte[], (int Errno, SafeFdHandle? Fd)> create, string call)
    {
        byte[] nameBytes = name.ToArray();
        (int errno, SafeFdHandle? fd) = create(dir, nameBytes);
        if (errno == EEXIST)
        {
            fd?.Dispose();
            Remove(dir, nameBytes, h);
            (errno, fd) = create(dir, nameBytes);
        }

        if (errno != 0)
        {
            fd?.Dispose();
            throw Error(errno, call, null, Subject(h));
        }

        return fd!;
    }

    /// <summary>Removes <paramref name="name"/> from <paramref name="dir"/>, a directory with all it holds.</summary>
    private void Remove(SafeFdHandle dir, ReadOnlySpan<byte> name, TarHeader h)
    {
        InvalidateParentCache();
        int errno = Fs.UnlinkAt(dir, name, 0);
        if (errno is 0 or ENOENT) return;
        if (errno != EISDIR) throw Error(errno, "unlinkat", Fs.Show(name), Subject(h));
        errno = Fs.UnlinkAt(dir, name, AT_REMOVEDIR);
        if (errno is ENOTEMPTY or EEXIST)
        {
            using SafeFdHandle child = Fs.OpenAt(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, Subject(h));
            foreach ((byte[] grandchild, _) in DirectoryReader.Read(child, Fs.Show(name)))
            {
                Remove(child, grandchild, h);
            }

            errno = Fs.UnlinkAt(dir, name, AT_REMOVEDIR);
        }

        if (errno is not (0 or ENOENT)) throw Error(errno, "unlinkat", Fs.Show(name), Subject(h));
    }

    /// <summary>The directory that holds an entry, resolved inside the root. With <paramref name="create"/>,
    /// missing directories are made 0755 (as Docker does); otherwise a missing one gives null. One resolved
    /// parent is cached: tars list siblings together.</summary>
    private SafeFdHandle? Parent(ReadOnlySpan<byte> parent, TarHeader h, bool create)
    {
        if (parent.IsEmpty) return _root.Root;
        if (_cachedParent is not null && parent.SequenceEqual(_cachedParent)) return _cachedParentFd;

        int errno = _root.TryOpen(parent, O_PATH | O_DIRECTORY, out SafeFdHandle fd);
        if (errno == ENOENT)
        {
            fd.Dispose();
            if (!create) return null;
            fd = MakeParents(parent, h);
        }
        else if (errno != 0)
        {
            fd.Dispose();
            throw Error(errno, "openat2", Fs.Show(parent), Subject(h) + ": parent directory");
        }

        _cachedParentFd?.Dispose();
        _cachedParent = parent.ToArray();
        _cachedParentFd = fd;
        return fd;
    }

    private SafeFdHandle MakeParents(ReadOnlySpan<byte> parent, TarHeader h)
    {
        SafeFdHandle current = _root.Root;
        bool owned = false;
        try
        {
            int start = 0;
            while (start < parent.Length)
            {
                int slash = parent[start..].IndexOf((byte)'/');
                int end = slash < 0 ? parent.Length : start + slash;
                ReadOnlySpan<byte> prefix = parent[..end];
                ReadOnlySpan<byte> component = parent[start..end];
                int errno = _root.TryOpen(prefix, O_PATH | O_DIRECTORY, out SafeFdHandle next);
                if (errno == ENOENT)
                {
                    next.Dispose();
                    errno = Fs.MkdirAt(current, component, 0x1ED);
                    if (errno == EEXIST)
                    {
                        throw Invalid(h, $"parent \"{Fs.Show(prefix)}\" is a symlink to nothing inside the layer");
                    }

                    if (errno != 0) throw Error(errno, "mkdirat", Fs.Show(prefix), Subject(h));
                    NoteCreated(prefix);
                    errno = Fs.TryOpenAt(current, component, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, out next);
                }

                if (errno != 0)
                {
                    next.Dispose();
                    throw Error(errno, "openat2", Fs.Show(prefix), Subject(h) + ": parent directory");
                }

                if (owned) current.Dispose();
                current = next;
                owned = true;
                start = end + 1;
            }

            owned = false;
            return current;
        }
        finally
        {
            if (owned) current.Dispose();
        }
    }

    /// <summary>Something was removed, so a cached path may now resolve elsewhere. The descriptor stays open:
    /// the caller may be using it; the next <see cref="Parent"/> lookup closes it.</summary>
    private void InvalidateParentCache() => _cachedParent = null;

    /// <summary>Owner, then mode (chown clears setuid), then xattrs, all through the descriptor.</summary>
    private void SetMetadata(SafeFdHandle fd, TarHeader h, byte[] path)
    {
        _ = path;
        if (_options.PreserveOwnership) Check(Fs.Fchown(fd, Id(h.Uid, h), Id(h.Gid, h)), "fchown", h);
        Check(Fs.Fchmod(fd, h.Mode & 0xFFF), "fchmod", h);
        if (!_options.ApplyXattrs) return;
        foreach ((string key, byte[] value) in h.Xattrs)
        {
            if (!DropXattr(key)) CheckXattr(Fs.FSetXattr(fd, key, value), key, h, regular: true);
        }
    }

    /// <summary>Overlay metadata is berth's to set, never the image's.</summary>
    private static bool DropXattr(string key) =>
        key.StartsWith("trusted.overlay.", StringComparison.Ordinal) || key.StartsWith("user.overlay.", StringComparison.Ordinal);

    private void CheckXattr(int errno, string key, TarHeader h, bool regular)
    {
        if (errno == 0 || errno == EOPNOTSUPP) return;
        // user.* is not allowed on symlinks and special files; rootless may not set trusted.* or security.*.
        if (errno == EPERM && (!_options.PreserveOwnership || (!regular && key.StartsWith("user.", StringComparison.Ordinal)))) return;
        throw Error(errno, "setxattr " + key, null, Subject(h));
    }

    private void SetDirectoryTimes()
    {
        foreach ((byte[] path, long seconds, uint nanoseconds) in _directoryTimes)
        {
            long clamped = Math.Clamp(seconds, -MaxTimeSeconds, MaxTimeSeconds);
            if (path.Length == 0)
            {
                _ = Fs.LutimesAt(_root.Root, "."u8, clamped, nanoseconds);
                continue;
            }

            EntryPath.Split(path, out ReadOnlySpan<byte> parent, out ReadOnlySpan<byte> name);
            SafeFdHandle? dir = Parent(parent, _reader!.Current, create: false);
            // A later entry may have removed or replaced it: only directories get a directory's time.
            if (dir is null || Fs.StatAt(dir, name, out FileStatus status) != 0 || !status.IsDirectory) continue;
            _ = Fs.LutimesAt(dir, name, clamped, nanoseconds);
        }
    }

    private void NoteCreated(ReadOnlySpan<byte> path) => _created?.Add(EntryPath.Key(path));

    private static long Seconds(TarHeader h) => Math.Clamp(h.MtimeSeconds, -MaxTimeSeconds, MaxTimeSeconds);

    private static uint Id(long id, TarHeader h) =>
        id is >= 0 and < uint.MaxValue ? (uint)id : throw Invalid(h, $"has an out-of-range owner id {id}");

    private static void Check(int errno, string call, TarHeader h)
    {
        if (errno != 0) throw Error(errno, call, null, Subject(h));
    }

    private static string Subject(TarHeader h) => $"layer entry \"{h.DisplayName}\"";

    private static BerthException Invalid(TarHeader h, string what) =>
        new(ErrorKind.InvalidArgument, $"{Subject(h)} {what}");
}
