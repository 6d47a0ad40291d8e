using Berth.Archive.Interop;
using Berth.Archive.Tar;
using Berth.Oci.Errors;
using Berth.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;
using static Berth.Interop.Statx;

namespace Berth.Archive;

/// <summary>One run of <see cref="LayerWriter.WriteDirectory"/>: walks the tree by descriptors (getdents64,
/// statx, openat with O_NOFOLLOW) and streams it into the tar.</summary>
internal sealed class LayerWriting : IDisposable
{
    private readonly string _dir;
    private readonly WriteOptions _options;
    private readonly TarBlockWriter _tar;
    private readonly SafeFdHandle _root;
    private readonly long? _epoch;
    private readonly Dictionary<(uint, uint, ulong), byte[]> _links = [];

    public LayerWriting(string dir, Stream output, WriteOptions options)
    {
        _dir = dir;
        _options = options;
        _tar = new TarBlockWriter(output, options.BufferSize);
        _root = Fs.Open(dir, O_RDONLY | O_DIRECTORY);
        _epoch = options.SourceDateEpoch?.ToUnixTimeSeconds();
    }

    public void Dispose() => _root.Dispose();

    public void Run(CancellationToken ct)
    {
        Walk(_root, [], ct);
        _tar.Finish();
    }

    private void Walk(SafeFdHandle dir, byte[] prefix, CancellationToken ct)
    {
        List<(byte[] Name, byte Type)> listed = DirectoryReader.Read(dir, Show(prefix));
        List<(byte[] Key, byte[] Name, FileStatus Status)> children = new(listed.Count);
        foreach ((byte[] name, _) in listed)
        {
            int errno = Fs.StatAt(dir, name, out FileStatus st);
            if (errno == ENOENT) continue; // removed while we walked
            if (errno != 0) throw new SyscallException(errno, "statx", Show([.. prefix, .. name]));
            // Entries are sorted by the name they are written under, and a whiteout is written as ".wh.NAME".
            children.Add((IsWhiteout(st) ? [.. ".wh."u8, .. name] : name, name, st));
        }

        children.Sort(static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        foreach ((_, byte[] name, FileStatus st) in children)
        {
            ct.ThrowIfCancellationRequested();
            byte[] path = [.. prefix, .. name];

            switch (st.Type)
            {
                case S_IFDIR:
                    WriteDirectoryEntry(dir, name, path, st, ct);
                    break;
                case S_IFREG:
                    WriteFile(dir, name, path, st, ct);
                    break;
                case S_IFLNK:
                    WriteSymlink(dir, name, path, st);
                    break;
                case S_IFCHR when IsWhiteout(st):
                    byte[] whiteout = [.. prefix, .. ".wh."u8, .. name];
                    _tar.WriteHeader(whiteout, TarEntryType.Regular, 0, st.Uid, st.Gid, 0, Mtime(st), [], 0, 0, null);
                    break;
                case S_IFCHR or S_IFBLK or S_IFIFO:
                    if (LinkTo(path, st, out byte[]? first))
                    {
                        _tar.WriteHeader(path, TarEntryType.HardLink, st.Mode, st.Uid, st.Gid, 0, Mtime(st), first, 0, 0, null);
                        break;
                    }

                    byte type = st.Type switch
                    {
                        S_IFCHR => TarEntryType.CharDevice,
                        S_IFBLK => TarEntryType.BlockDevice,
                        _ => TarEntryType.Fifo,
                    };
                    _tar.WriteHeader(path, type, st.Mode, st.Uid, st.Gid, 0, Mtime(st), [], st.RdevMajor, st.RdevMinor,
                        Filter(Fs.ReadXattrsAt(dir, name)));
                    break;
                default:
                    break; // sockets do not go into layers (Docker skips them too)
            }
        }
    }

    private void WriteDirectoryEntry(SafeFdHandle dir, byte[] name, byte[] path, FileStatus st, CancellationToken ct)
    {
        int errno = Fs.TryOpenAt(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, out SafeFdHandle child);
        if (errno == ENOENT)
        {
            child.Dispose();
            return;
        }

        using (child)
        {
            if (errno != 0) throw new SyscallException(errno, "openat", Show(path));
            List<KeyValuePair<string, byte[]>>? all = Fs.ReadXattrs(child);
            bool opaque = _options.OverlayUpper && IsOpaque(all);
            byte[] entry = [.. path, (byte)'/'];
            _tar.WriteHeader(entry, TarEntryType.Directory, st.Mode, st.Uid, st.Gid, 0, Mtime(st), [], 0, 0, Filter(all));
            if (opaque)
            {
                // Compat: Docker's overlay2 writes the marker right after its directory, with the directory's
                // owner and permissions.
                _tar.WriteHeader([.. entry, .. ".wh..wh..opq"u8], TarEntryType.Regular, st.Mode & 0x1FF, st.Uid, st.Gid, 0,
                    Mtime(st), [], 0, 0, null);
            }

            Walk(child, entry, ct);
        }
    }

    private void WriteFile(SafeFdHandle dir, byte[] name, byte[] path, FileStatus st, CancellationToken ct)
    {
        if (LinkTo(path, st, out byte[]? first))
        {
            _tar.WriteHeader(path, TarEntryType.HardLink, st.Mode, st.Uid, st.Gid, 0, Mtime(st), first, 0, 0, null);
            return;
        }

        int errno = Fs.TryOpenAt(dir, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY, 0, out SafeFdHandle fd);
        using (fd)
        {
            if (errno == ENOENT) return;
            if (errno != 0) throw new SyscallException(errno, "openat", Show(path));
            _tar.WriteHeader(path, TarEntryType.Regular, st.Mode, st.Uid, st.Gid, st.Size, Mtime(st), [], 0, 0,
                Filter(Fs.ReadXattrs(fd)));
            long left = st.Size;
            while (left > 0)
            {
                Span<byte> span = _tar.GetSpan();
                if (span.Length > left) span = span[..(int)left];
                errno = Fs.Read(fd, span, out int n);
                if (errno != 0) throw new SyscallException(errno, "read", Show(path));
                if (n == 0)
                {
                    throw new BerthException(ErrorKind.DataLoss,
                        $"{Show(path)} in {_dir} shrank from {st.Size} bytes while it was being archived");
                }

                _tar.Commit(n);
                left -= n;
                ct.ThrowIfCancellationRequested();
            }

            _tar.Pad(st.Size);
        }
    }

    private void WriteSymlink(SafeFdHandle dir, byte[] name, byte[] path, FileStatus st)
    {
        if (LinkTo(path, st, out byte[]? first))
        {
            _tar.WriteHeader(path, TarEntryType.HardLink, st.Mode, st.Uid, st.Gid, 0, Mtime(st), first, 0, 0, null);
            return;
        }

        int errno = Fs.ReadLinkAt(dir, name, out byte[] target);
        if (errno == ENOENT) return;
        if (errno != 0) throw new SyscallException(errno, "readlinkat", Show(path));
        _tar.WriteHeader(path, TarEntryType.SymbolicLink, st.Mode, st.Uid, st.Gid, 0, Mtime(st), target, 0, 0,
            Filter(Fs.ReadXattrsAt(dir, name)));
    }

    /// <summary>For the second and later names of one inode, the first name (entries are written in order).</summary>
    private bool LinkTo(byte[] path, FileStatus st, out byte[]? first)
    {
        first = null;
        if (st.Nlink <= 1) return false;
        (uint, uint, ulong) key = (st.DevMajor, st.DevMinor, st.Inode);
        if (_links.TryGetValue(key, out first)) return true;
        _links[key] = path;
        return false;
    }

    private bool IsWhiteout(FileStatus st) =>
        _options.OverlayUpper && st.Type == S_IFCHR && st.RdevMajor == 0 && st.RdevMinor == 0;

    private long Mtime(FileStatus st) => _epoch is long epoch && st.MtimeSeconds > epoch ? epoch : st.MtimeSeconds;

    private bool IsOpaque(List<KeyValuePair<string, byte[]>>? xattrs)
    {
        if (xattrs is null) return false;
        foreach ((string key, byte[] value) in xattrs)
        {
            if ((key == "trusted.overlay.opaque" || key == "user.overlay.opaque") && value.AsSpan().SequenceEqual("y"u8)) return true;
        }

        return false;
    }

    private List<KeyValuePair<string, byte[]>>? Filter(List<KeyValuePair<string, byte[]>>? xattrs)
    {
        if (xattrs is null || !_options.IncludeXattrs) return null;
        xattrs.RemoveAll(x =>
            x.Key.StartsWith("trusted.overlay.", StringComparison.Ordinal) ||
            (_options.OverlayUpper && x.Key.StartsWith("user.overlay.", StringComparison.Ordinal)) ||
            (!_options.IncludeSelinuxLabels && x.Key == "security.selinux"));
        return xattrs.Count == 0 ? null : xattrs;
    }

    private static string Show(byte[] path) => Fs.Show(path);
}
