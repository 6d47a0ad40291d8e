using System.Buffers;
using Berth.Archive.Interop;
using Berth.Archive.Tar;
using Berth.Oci.Errors;
using Berth.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;
using static Berth.Interop.Statx;

namespace Berth.Archive;

/// <summary>One run of <see cref="LayerApplier.Apply"/>: the state that lives for one archive.</summary>
/// <remarks>
/// With <see cref="ApplyOptions.Parallelism"/> above 1, small regular files are handed to a
/// <see cref="FileWriterPool"/> and everything else runs here, in archive order, after a barrier (the pool is
/// drained). The tree is the same as a sequential apply because a worker only ever creates a regular file at a
/// location that, when it was handed off, held nothing or a non-directory, non-symlink; so workers never make,
/// remove or change a directory or symlink, and a path that resolves while they run resolves as it would have
/// after them. What could tell the difference waits for a barrier first:
/// <list type="bullet">
/// <item>every entry that is not a regular file (links, whiteouts, FIFOs, the root), except a directory made
/// where nothing is: no worker is in or at a directory that did not exist, so files of the previous directory
/// keep being written while the next one fills;</item>
/// <item>a file whose location (parent directory inode and name, so symlinked aliases collide) was handed off
/// since the last barrier, or holds a directory or symlink now;</item>
/// <item>a parent path that fails to resolve (a file in flight may be what it stumbles on, and a missing
/// directory must not be made where a file is about to land);</item>
/// <item>files over <see cref="SmallFileLimit"/>, written by this thread so memory stays bounded.</item>
/// </list>
/// </remarks>
internal sealed class LayerApplication : IDisposable
{
    private const string OpaqueXattr = "trusted.overlay.opaque";
    private const long MaxTimeSeconds = 1L << 40;

    /// <summary>Files up to this size are copied and handed to a worker.</summary>
    internal const int SmallFileLimit = 1 << 20;

    /// <summary>The cap on file data copied and not yet written.</summary>
    internal const long MaxBytesInFlight = 64L << 20;

    /// <summary>Files in flight per worker: enough to keep them busy while the reader parses.</summary>
    private const int FilesPerWorker = 8;

    private readonly RootFs _root;
    private readonly ApplyOptions _options;
    private readonly HashSet<string>? _created;
    private readonly List<(byte[] Path, long Seconds, uint Nanoseconds)> _directoryTimes = [];
    private byte[]? _cachedParent;
    private SafeFdHandle? _cachedParentFd;
    private TarEntryReader? _reader;
    private long _entries, _bytes, _devices, _skipped, _whiteouts;
    private FileWriterPool? _pool;
    private long _handedOff;

    /// <summary>Where files were handed to the pool since the last barrier (written or not).</summary>
    private readonly HashSet<Location> _inFlight = [];
    private SafeFdHandle? _identified;
    private FileStatus _identity;

    public LayerApplication(RootFs root, ApplyOptions options)
    {
        _root = root;
        _options = options;
        // Delete mode must know which paths this layer made: an opaque marker keeps those, wherever it sits.
        _created = options.Whiteouts == WhiteoutMode.Delete ? new HashSet<string>(StringComparer.Ordinal) : null;
    }

    public void Dispose()
    {
        // Joins the workers before their parent descriptors' cache goes.
        _pool?.Dispose();
        _cachedParentFd?.Dispose();
    }

    public ApplyResult Run(Stream stream, CancellationToken ct)
    {
        _reader = new TarEntryReader(stream, _options.MaxHeaderBytes, _options.BufferSize);
        if (_options.Parallelism > 1)
        {
            _pool = new FileWriterPool(_options.Parallelism, _options.Parallelism * FilesPerWorker, MaxBytesInFlight,
                WritePendingFile, ct);
        }

        try
        {
            while (_reader.MoveNext(ct))
            {
                _entries++;
                TarHeader h = _reader.Current;
                byte[] path = EntryPath.Clean(h.Name, "layer entry");
                if (EntryPath.TooLong(path) is { } tooLong) throw new BerthException(ErrorKind.InvalidArgument, $"{Subject(h)}: {tooLong}");
                if (h.TypeFlag is TarEntryType.SymbolicLink or TarEntryType.HardLink && EntryPath.TooLong(h.LinkName, componentsToo: h.TypeFlag == TarEntryType.HardLink) is { } linkTooLong)
                    throw new BerthException(ErrorKind.InvalidArgument, $"{Subject(h)}: link target \"{h.DisplayLinkName}\": {linkTooLong}");
                ApplyEntry(h, path, ct);
            }

            Barrier();
        }
        catch (Exception e) when (_pool is not null && e is not OperationCanceledException)
        {
            // Files in flight came earlier in the archive than whatever failed here: a sequential apply would
            // have stopped at their failure first.
            _pool.ThrowEarlierFailure();
            throw;
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
            Barrier();
            using SafeFdHandle self = Fs.OpenAt(_root.Root, "."u8, O_RDONLY | O_DIRECTORY, 0, Subject(h));
            SetMetadata(self, h);
            _directoryTimes.Add((path, h.MtimeSeconds, h.MtimeNanoseconds));
            return;
        }

        EntryPath.Split(path, out ReadOnlySpan<byte> parent, out ReadOnlySpan<byte> name);
        if (name.StartsWith(".wh."u8))
        {
            Barrier();
            Whiteout(h, path, parent, name);
            return;
        }

        switch (h.TypeFlag)
        {
            case TarEntryType.Regular or TarEntryType.RegularV7 or TarEntryType.Contiguous:
                if (!TryHandOff(h, path, parent, name, ct))
                {
                    Barrier();
                    WriteFile(h, path, Parent(parent, h, create: true)!, name, ct);
                }

                break;
            case TarEntryType.Directory:
                if (!IsFreeLocation(parent, name, h)) Barrier();
                MakeDirectory(h, path, Parent(parent, h, create: true)!, name);
                break;
            case TarEntryType.SymbolicLink:
                Barrier();
                MakeSymlink(h, path, Parent(parent, h, create: true)!, name);
                break;
            case TarEntryType.HardLink:
                // The target may be a file in flight: it must be whole before it gets a second name.
                Barrier();
                MakeHardLink(h, path, Parent(parent, h, create: true)!, name);
                break;
            case TarEntryType.Fifo:
                Barrier();
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

    /// <summary>Hands a small regular file to the pool when nothing in flight or on disk can make the result
    /// depend on timing (see the class remarks). Returns false when the caller must write it after a barrier.</summary>
    private bool TryHandOff(TarHeader h, byte[] path, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> name, CancellationToken ct)
    {
        if (_pool is null || h.Size > SmallFileLimit) return false;
        SafeFdHandle dir = Parent(parent, h, create: true)!;
        Location where = LocationOf(dir, name, h);
        if (_inFlight.Contains(where)) return false;
        int errno = Fs.StatAt(dir, name, out FileStatus existing);
        // A directory or symlink in the way is removed first: that changes how other paths resolve.
        if (errno == 0 ? existing.IsDirectory || existing.IsSymlink : errno != ENOENT) return false;
        if (_options.PreserveOwnership)
        {
            _ = Id(h.Uid, h);
            _ = Id(h.Gid, h);
        }

        int length = (int)h.Size;
        byte[] data = ArrayPool<byte>.Shared.Rent(length);
        int copied = 0;
        try
        {
            TarEntryReader reader = _reader!;
            while (true)
            {
                ReadOnlySpan<byte> chunk = reader.ReadChunk(ct);
                if (chunk.IsEmpty) break;
                chunk.CopyTo(data.AsSpan(copied));
                copied += chunk.Length;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(data);
            throw;
        }

        PendingFile file;
        try
        {
            file = new PendingFile(_handedOff++, h.Clone(), Fs.Dup(dir, Subject(h)), name.ToArray(), data, copied);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(data);
            throw;
        }

        _inFlight.Add(where);
        _pool.Add(file);
        _bytes += copied;
        NoteCreated(path);
        return true;
    }

    /// <summary>On a worker: what <see cref="WriteFile"/> does, with the data already in memory. Whatever is at the
    /// name was, when the reader looked, neither a directory nor a symlink, and no other worker targets it.</summary>
    private void WritePendingFile(PendingFile file)
    {
        TarHeader h = file.Header;
        const int flags = O_WRONLY | O_CREAT | O_EXCL;
        int errno = Fs.TryOpenAt(file.Directory, file.Name, flags | O_NOFOLLOW, 0x180, out SafeFdHandle fd);
        if (errno == EEXIST)
        {
            fd.Dispose();
            // The later entry wins. Never recursive here: a directory now would be someone else's doing.
            errno = Fs.UnlinkAt(file.Directory, file.Name, 0);
            if (errno is not (0 or ENOENT)) throw new SyscallException(errno, "unlinkat", Fs.Show(file.Name), Subject(h));
            errno = Fs.TryOpenAt(file.Directory, file.Name, flags | O_NOFOLLOW, 0x180, out fd);
        }

        using (fd)
        {
            if (errno != 0) throw new SyscallException(errno, "openat", null, Subject(h));
            errno = Fs.WriteAll(fd, file.Data);
            if (errno != 0) throw new SyscallException(errno, "write", null, Subject(h));
            SetMetadata(fd, h);
            Check(Fs.Futimes(fd, Seconds(h), h.MtimeNanoseconds), "futimens", h);
        }
    }

    /// <summary>True when files are in flight and the entry's location holds nothing and was not handed off.</summary>
    private bool IsFreeLocation(ReadOnlySpan<byte> parent, ReadOnlySpan<byte> name, TarHeader h)
    {
        if (_inFlight.Count == 0) return false;
        SafeFdHandle dir = Parent(parent, h, create: true)!;
        return !_inFlight.Contains(LocationOf(dir, name, h)) && Fs.StatAt(dir, name, out _) == ENOENT;
    }

    /// <summary>Waits for every file handed off: what follows sees all earlier entries' effects.</summary>
    private void Barrier()
    {
        if (_inFlight.Count == 0) return;
        _pool!.Drain();
        _inFlight.Clear();
    }

    /// <summary>A name in a directory identified by inode, so two paths through symlinks to one directory match.</summary>
    private readonly record struct Location(uint DevMajor, uint DevMinor, ulong Inode, string Name);

    private Location LocationOf(SafeFdHandle dir, ReadOnlySpan<byte> name, TarHeader h)
    {
        if (!ReferenceEquals(dir, _identified))
        {
            Check(Fs.StatAt(dir, [], out _identity), "statx", h);
            _identified = dir;
        }

        return new Location(_identity.DevMajor, _identity.DevMinor, _identity.Inode, EntryPath.Key(name));
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
                if (errno != 0) throw new SyscallException(errno, "write", null, Subject(h));
                _bytes += chunk.Length;
            }

            SetMetadata(fd, h);
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
        SetMetadata(fd, h);
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
        SetMetadata(fd, h);
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
            throw new SyscallException(errno, call, null, Subject(h));
        }

        return fd!;
    }

    /// <summary>Removes <paramref name="name"/> from <paramref name="dir"/>, a directory with all it holds.</summary>
    private void Remove(SafeFdHandle dir, ReadOnlySpan<byte> name, TarHeader h)
    {
        InvalidateParentCache();
        int errno = Fs.UnlinkAt(dir, name, 0);
        if (errno is 0 or ENOENT) return;
        if (errno != EISDIR) throw new SyscallException(errno, "unlinkat", Fs.Show(name), Subject(h));
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

        if (errno is not (0 or ENOENT)) throw new SyscallException(errno, "unlinkat", Fs.Show(name), Subject(h));
    }

    /// <summary>The directory that holds an entry, resolved inside the root. With <paramref name="create"/>,
    /// missing directories are made 0755 (as Docker does); otherwise a missing one gives null. One resolved
    /// parent is cached: tars list siblings together.</summary>
    private SafeFdHandle? Parent(ReadOnlySpan<byte> parent, TarHeader h, bool create)
    {
        if (parent.IsEmpty) return _root.Root;
        if (_cachedParent is not null && parent.SequenceEqual(_cachedParent)) return _cachedParentFd;

        int errno = _root.TryOpen(parent, O_PATH | O_DIRECTORY, out SafeFdHandle fd);
        if (errno != 0 && _inFlight.Count > 0)
        {
            // A file in flight may be what the path stumbles on, or lands where a directory is about to be made.
            fd.Dispose();
            Barrier();
            errno = _root.TryOpen(parent, O_PATH | O_DIRECTORY, out fd);
        }

        if (errno == ENOENT)
        {
            fd.Dispose();
            if (!create) return null;
            fd = MakeParents(parent, h);
        }
        else if (errno != 0)
        {
            fd.Dispose();
            throw new SyscallException(errno, "openat2", Fs.Show(parent), Subject(h) + ": parent directory");
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

                    if (errno != 0) throw new SyscallException(errno, "mkdirat", Fs.Show(prefix), Subject(h));
                    NoteCreated(prefix);
                    errno = Fs.TryOpenAt(current, component, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, out next);
                }

                if (errno != 0)
                {
                    next.Dispose();
                    throw new SyscallException(errno, "openat2", Fs.Show(prefix), Subject(h) + ": parent directory");
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
    private void SetMetadata(SafeFdHandle fd, TarHeader h)
    {
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
        throw new SyscallException(errno, "setxattr " + key, null, Subject(h));
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
        if (errno != 0) throw new SyscallException(errno, call, null, Subject(h));
    }

    private static string Subject(TarHeader h) => $"layer entry \"{h.DisplayName}\"";

    private static BerthException Invalid(TarHeader h, string what) =>
        new(ErrorKind.InvalidArgument, $"{Subject(h)} {what}");
}
