using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Berth.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;
using static Berth.Interop.Statx;

namespace Berth.Archive.Interop;

/// <summary>
/// Safe wrappers over the *at() calls. Names are raw bytes (Linux names need not be UTF-8) and are made
/// NUL-terminated here. The Try forms return 0 or an errno for the failures a caller handles; the others
/// throw <see cref="SyscallException"/>.
/// </summary>
internal static unsafe class Fs
{
    private const int StackLimit = 1024;

    private static int Errno => Marshal.GetLastPInvokeError();

    private static byte[]? Rent(int length, out int size)
    {
        size = length + 1;
        return size > StackLimit ? ArrayPool<byte>.Shared.Rent(size) : null;
    }

    private static void Terminate(ReadOnlySpan<byte> name, Span<byte> z)
    {
        name.CopyTo(z);
        z[name.Length] = 0;
    }

    public static string Show(ReadOnlySpan<byte> name) => Encoding.UTF8.GetString(name);

    public static int TryOpenAt(SafeFdHandle dir, ReadOnlySpan<byte> name, int flags, uint mode, out SafeFdHandle fd)
    {
        byte[]? rented = Rent(name.Length, out int size);
        Span<byte> z = rented ?? stackalloc byte[size];
        Terminate(name, z);
        int result;
        fixed (byte* p = z)
        {
            do
            {
                result = Libc.openat(dir, p, flags | Libc.O_CLOEXEC, mode);
            }
            while (result == -1 && Errno == EINTR);
        }

        int errno = result == -1 ? Errno : 0;
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        fd = new SafeFdHandle(result);
        return errno;
    }

    public static SafeFdHandle OpenAt(SafeFdHandle dir, ReadOnlySpan<byte> name, int flags, uint mode, string? subject = null)
    {
        int errno = TryOpenAt(dir, name, flags, mode, out SafeFdHandle fd);
        if (errno != 0) throw new SyscallException(errno, "openat", Show(name), subject);
        return fd;
    }

    /// <summary>A second descriptor for what <paramref name="fd"/> refers to, close-on-exec, owned by the caller.</summary>
    public static SafeFdHandle Dup(SafeFdHandle fd, string? subject = null)
    {
        int result = Libc.fcntl(fd, Libc.F_DUPFD_CLOEXEC, 0);
        CheckIo(result, "fcntl F_DUPFD_CLOEXEC", null, subject);
        return new SafeFdHandle(result);
    }

    /// <summary>Opens an absolute or cwd-relative host path (the roots handed to us by callers).</summary>
    public static SafeFdHandle Open(string path, int flags)
    {
        byte[] z = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, z);
        int result;
        fixed (byte* p = z)
        {
            result = Libc.open(p, flags | Libc.O_CLOEXEC, 0);
        }

        CheckIo(result, "open", path);
        return new SafeFdHandle(result);
    }

    /// <summary>openat2 with the given resolve flags; ENOSYS/EPERM (seccomp) tell the caller to fall back.</summary>
    public static int TryOpenAt2(SafeFdHandle dir, ReadOnlySpan<byte> name, int flags, ulong resolve, out SafeFdHandle fd)
    {
        byte[]? rented = Rent(name.Length, out int size);
        Span<byte> z = rented ?? stackalloc byte[size];
        Terminate(name, z);
        Libc.open_how how = new() { flags = (ulong)(uint)(flags | Libc.O_CLOEXEC), mode = 0, resolve = resolve };
        int result;
        int errno;
        fixed (byte* p = z)
        {
            int tries = 0;
            do
            {
                result = Libc.openat2(dir, p, &how);
                errno = result == -1 ? Errno : 0;
            }
            // RESOLVE_IN_ROOT returns EAGAIN when a concurrent rename might have let ".." escape: just retry.
            while (result == -1 && (errno == EINTR || (errno == EAGAIN && ++tries < 128)));
        }

        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        fd = new SafeFdHandle(result);
        return errno;
    }

    public static int MkdirAt(SafeFdHandle dir, ReadOnlySpan<byte> name, uint mode)
    {
        byte[]? rented = Rent(name.Length, out int size);
        Span<byte> z = rented ?? stackalloc byte[size];
        Terminate(name, z);
        int result;
        fixed (byte* p = z) result = Libc.mkdirat(dir, p, mode);
        int errno = result == -1 ? Errno : 0;
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return errno;
    }

    public static int MknodAt(SafeFdHandle dir, ReadOnlySpan<byte> name, uint mode, uint major, uint minor)
    {
        byte[]? rented = Rent(name.Length, out int size);
        Span<byte> z = rented ?? stackalloc byte[size];
        Terminate(name, z);
        int result;
        fixed (byte* p = z) result = Libc.mknodat(dir, p, mode, Libc.makedev(major, minor));
        int errno = result == -1 ? Errno : 0;
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return errno;
    }

    public static int SymlinkAt(ReadOnlySpan<byte> target, SafeFdHandle dir, ReadOnlySpan<byte> name)
    {
        byte[]? rented1 = Rent(name.Length, out int size1);
        Span<byte> z1 = rented1 ?? stackalloc byte[size1];
        Terminate(name, z1);
        byte[] z2 = new byte[target.Length + 1];
        Terminate(target, z2);
        int result;
        fixed (byte* p1 = z1)
        fixed (byte* p2 = z2)
        {
            result = Libc.symlinkat(p2, dir, p1);
        }

        int errno = result == -1 ? Errno : 0;
        if (rented1 is not null) ArrayPool<byte>.Shared.Return(rented1);
        return errno;
    }

    /// <summary>linkat without AT_SYMLINK_FOLLOW: a hard link to a symlink links the symlink itself.</summary>
    public static int LinkAt(SafeFdHandle oldDir, ReadOnlySpan<byte> oldName, SafeFdHandle newDir, ReadOnlySpan<byte> newName)
    {
        byte[] z1 = new byte[oldName.Length + 1];
        Terminate(oldName, z1);
        byte[] z2 = new byte[newName.Length + 1];
        Terminate(newName, z2);
        int result;
        fixed (byte* p1 = z1)
        fixed (byte* p2 = z2)
        {
            result = Libc.linkat(oldDir, p1, newDir, p2, 0);
        }

        return result == -1 ? Errno : 0;
    }

    public static int UnlinkAt(SafeFdHandle dir, ReadOnlySpan<byte> name, int flags)
    {
        byte[]? rented = Rent(name.Length, out int size);
        Span<byte> z = rented ?? stackalloc byte[size];
        Terminate(name, z);
        int result;
        fixed (byte* p = z) result = Libc.unlinkat(dir, p, flags);
        int errno = result == -1 ? Errno : 0;
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return errno;
    }

    /// <summary>statx of <paramref name="name"/> in <paramref name="dir"/>, never following a final symlink.
    /// An empty name stats <paramref name="dir"/> itself.</summary>
    public static int StatAt(SafeFdHandle dir, ReadOnlySpan<byte> name, out FileStatus status)
    {
        byte[]? rented = Rent(name.Length, out int size);
        Span<byte> z = rented ?? stackalloc byte[size];
        Terminate(name, z);
        Statx.statx_t st;
        int result;
        int flags = Libc.AT_SYMLINK_NOFOLLOW | (name.IsEmpty ? Libc.AT_EMPTY_PATH : 0);
        fixed (byte* p = z) result = Statx.statx(dir, p, flags, Statx.STATX_BASIC_STATS, &st);
        int errno = result == -1 ? Errno : 0;
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        status = errno != 0 ? default : new FileStatus(
            st.stx_mode, st.stx_uid, st.stx_gid, (long)st.stx_size, st.stx_ino, st.stx_nlink,
            st.stx_dev_major, st.stx_dev_minor, st.stx_rdev_major, st.stx_rdev_minor,
            st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec, st.stx_ctime.tv_sec, st.stx_ctime.tv_nsec);
        return errno;
    }

    /// <summary>readlinkat; an empty name reads the symlink an O_PATH descriptor refers to.</summary>
    public static int ReadLinkAt(SafeFdHandle dir, ReadOnlySpan<byte> name, out byte[] target)
    {
        byte[]? rented = Rent(name.Length, out int size);
        Span<byte> z = rented ?? stackalloc byte[size];
        Terminate(name, z);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4097);
        nint n;
        fixed (byte* p = z)
        fixed (byte* b = buffer)
        {
            n = Libc.readlinkat(dir, p, b, (nuint)buffer.Length);
        }

        int errno = n == -1 ? Errno : 0;
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        target = errno == 0 ? buffer.AsSpan(0, (int)n).ToArray() : [];
        ArrayPool<byte>.Shared.Return(buffer);
        if (errno == 0 && n >= buffer.Length) return ENAMETOOLONG;
        return errno;
    }

    public static int LchownAt(SafeFdHandle dir, ReadOnlySpan<byte> name, uint uid, uint gid)
    {
        byte[]? rented = Rent(name.Length, out int size);
        Span<byte> z = rented ?? stackalloc byte[size];
        Terminate(name, z);
        int result;
        fixed (byte* p = z) result = Libc.fchownat(dir, p, uid, gid, Libc.AT_SYMLINK_NOFOLLOW);
        int errno = result == -1 ? Errno : 0;
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return errno;
    }

    public static int Fchown(SafeFdHandle fd, uint uid, uint gid) =>
        Libc.fchown(fd, uid, gid) == -1 ? Errno : 0;

    public static int Fchmod(SafeFdHandle fd, uint mode) =>
        Libc.fchmod(fd, mode) == -1 ? Errno : 0;

    /// <summary>Sets atime and mtime of <paramref name="name"/> in <paramref name="dir"/>, never following a symlink.</summary>
    public static int LutimesAt(SafeFdHandle dir, ReadOnlySpan<byte> name, long seconds, long nanoseconds)
    {
        byte[]? rented = Rent(name.Length, out int size);
        Span<byte> z = rented ?? stackalloc byte[size];
        Terminate(name, z);
        Libc.Timespec* times = stackalloc Libc.Timespec[2];
        times[0] = new Libc.Timespec { tv_sec = seconds, tv_nsec = nanoseconds };
        times[1] = times[0];
        int result;
        fixed (byte* p = z) result = Libc.utimensat(dir, p, times, Libc.AT_SYMLINK_NOFOLLOW);
        int errno = result == -1 ? Errno : 0;
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return errno;
    }

    public static int Futimes(SafeFdHandle fd, long seconds, long nanoseconds)
    {
        Libc.Timespec* times = stackalloc Libc.Timespec[2];
        times[0] = new Libc.Timespec { tv_sec = seconds, tv_nsec = nanoseconds };
        times[1] = times[0];
        return Libc.futimens(fd, times) == -1 ? Errno : 0;
    }

    public static int FSetXattr(SafeFdHandle fd, string name, ReadOnlySpan<byte> value)
    {
        byte[] n = XattrName(name);
        int result;
        fixed (byte* pn = n)
        fixed (byte* pv = value)
        {
            result = Libc.fsetxattr(fd, pn, pv, (nuint)value.Length, 0);
        }

        return result == -1 ? Errno : 0;
    }

    /// <summary>lsetxattr on <c>/proc/self/fd/DIR/NAME</c>: the directory stays pinned by its descriptor and the
    /// final component (a symlink) is not followed.</summary>
    public static int LSetXattrAt(SafeFdHandle dir, ReadOnlySpan<byte> name, string xattr, ReadOnlySpan<byte> value)
    {
        byte[] path = ProcPath(dir, name);
        byte[] n = XattrName(xattr);
        int result;
        fixed (byte* pp = path)
        fixed (byte* pn = n)
        fixed (byte* pv = value)
        {
            result = Libc.lsetxattr(pp, pn, pv, (nuint)value.Length, 0);
        }

        return result == -1 ? Errno : 0;
    }

    /// <summary>All xattrs of an open file or directory, sorted by name.</summary>
    public static List<KeyValuePair<string, byte[]>>? ReadXattrs(SafeFdHandle fd) => ReadXattrs(fd, null);

    /// <summary>All xattrs of <paramref name="name"/> in <paramref name="dir"/> (not following a symlink).</summary>
    public static List<KeyValuePair<string, byte[]>>? ReadXattrsAt(SafeFdHandle dir, ReadOnlySpan<byte> name) =>
        ReadXattrs(dir, ProcPath(dir, name));

    private static List<KeyValuePair<string, byte[]>>? ReadXattrs(SafeFdHandle fd, byte[]? path)
    {
        Span<byte> small = stackalloc byte[256];
        byte[]? big = null;
        nint n;
        while (true)
        {
            Span<byte> buf = big ?? small;
            fixed (byte* b = buf)
            fixed (byte* pp = path)
            {
                n = path is null ? Libc.flistxattr(fd, b, (nuint)buf.Length) : Libc.llistxattr(pp, b, (nuint)buf.Length);
            }

            if (n >= 0) break;
            int errno = Errno;
            if (errno == EOPNOTSUPP) return null;
            if (errno != ERANGE) throw new SyscallException(errno, "listxattr", path is null ? null : Show(path.AsSpan(0, path.Length - 1)));
            big = new byte[(big?.Length ?? small.Length) * 4];
        }

        if (n == 0) return null;
        ReadOnlySpan<byte> list = (big ?? small)[..(int)n];
        List<KeyValuePair<string, byte[]>> result = [];
        while (!list.IsEmpty)
        {
            int end = list.IndexOf((byte)0);
            if (end < 0) end = list.Length;
            ReadOnlySpan<byte> nameBytes = list[..end];
            list = end < list.Length ? list[(end + 1)..] : [];
            if (nameBytes.IsEmpty) continue;
            byte[]? value = GetXattr(fd, path, nameBytes);
            if (value is not null) result.Add(new(Encoding.UTF8.GetString(nameBytes), value));
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return result;
    }

    private static byte[]? GetXattr(SafeFdHandle fd, byte[]? path, ReadOnlySpan<byte> name)
    {
        byte[] z = new byte[name.Length + 1];
        Terminate(name, z);
        byte[] buf = new byte[256];
        while (true)
        {
            nint n;
            fixed (byte* pn = z)
            fixed (byte* pb = buf)
            fixed (byte* pp = path)
            {
                n = path is null ? Libc.fgetxattr(fd, pn, pb, (nuint)buf.Length) : Libc.lgetxattr(pp, pn, pb, (nuint)buf.Length);
            }

            if (n >= 0) return buf.AsSpan(0, (int)n).ToArray();
            int errno = Errno;
            if (errno == ENODATA) return null; // removed between list and get
            if (errno != ERANGE || buf.Length >= 1 << 20) throw new SyscallException(errno, "getxattr", Show(name));
            buf = new byte[buf.Length * 8];
        }
    }

    private static byte[] XattrName(string name)
    {
        byte[] n = new byte[Encoding.UTF8.GetByteCount(name) + 1];
        Encoding.UTF8.GetBytes(name, n);
        return n;
    }

    private static byte[] ProcPath(SafeFdHandle dir, ReadOnlySpan<byte> name)
    {
        string prefix = $"/proc/self/fd/{dir.Fd}/";
        byte[] path = new byte[prefix.Length + name.Length + 1];
        Encoding.ASCII.GetBytes(prefix, path);
        Terminate(name, path.AsSpan(prefix.Length));
        return path;
    }

    public static int Read(SafeFdHandle fd, Span<byte> buffer, out int count)
    {
        nint n;
        do
        {
            fixed (byte* b = buffer) n = Libc.read(fd, b, (nuint)buffer.Length);
        }
        while (n == -1 && Errno == EINTR);

        count = n < 0 ? 0 : (int)n;
        return n == -1 ? Errno : 0;
    }

    /// <summary>Writes all of <paramref name="data"/>; returns 0 or an errno.</summary>
    public static int WriteAll(SafeFdHandle fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* b = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint n = Libc.write(fd, b + done, (nuint)(data.Length - done));
                if (n == -1)
                {
                    int errno = Errno;
                    if (errno == EINTR) continue;
                    return errno;
                }

                done += (int)n;
            }
        }

        return 0;
    }

    /// <summary>Fills <paramref name="buffer"/> with linux_dirent64 records; returns the byte count, 0 at the end.</summary>
    public static int GetDents(SafeFdHandle dir, Span<byte> buffer, string path)
    {
        nint n;
        fixed (byte* b = buffer) n = Libc.getdents64(dir, b, (nuint)buffer.Length);
        if (n == -1) throw new SyscallException(Errno, "getdents64", path);
        return (int)n;
    }
}
