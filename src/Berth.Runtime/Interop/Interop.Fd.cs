// C names on purpose: these declarations read like the man pages they come from.
#pragma warning disable CS8981

using System.Runtime.InteropServices;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100,
        O_TRUNC = 0x200, O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000,
        O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    internal const int F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031;
    internal const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    internal const int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1;
    internal const uint CLOSE_RANGE_CLOEXEC = 4;

    // openat2(2) resolve flags.
    internal const ulong RESOLVE_NO_XDEV = 0x01, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04,
        RESOLVE_BENEATH = 0x08, RESOLVE_IN_ROOT = 0x10;

    internal const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFCHR = 0x2000,
        S_IFBLK = 0x6000, S_IFIFO = 0x1000, S_IFSOCK = 0xC000;

    [StructLayout(LayoutKind.Sequential)]
    internal struct open_how
    {
        public ulong flags;
        public ulong mode;
        public ulong resolve;
    }

    /// <summary>struct statx (include/uapi/linux/stat.h); the same layout on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct statx_t
    {
        [FieldOffset(0)] public uint stx_mask;
        [FieldOffset(20)] public uint stx_uid;
        [FieldOffset(24)] public uint stx_gid;
        [FieldOffset(28)] public ushort stx_mode;
        [FieldOffset(32)] public ulong stx_ino;
        [FieldOffset(40)] public ulong stx_size;
        [FieldOffset(128)] public uint stx_rdev_major;
        [FieldOffset(132)] public uint stx_rdev_minor;
        [FieldOffset(136)] public uint stx_dev_major;
        [FieldOffset(140)] public uint stx_dev_minor;
        [FieldOffset(144)] public ulong stx_mnt_id;
    }

    internal const uint STATX_TYPE = 1, STATX_MODE = 2, STATX_BASIC_STATS = 0x7ff, STATX_MNT_ID = 0x1000;

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int openat(int dirfd, string path, int flags, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int dup(int fd);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int pipe2(int* fds, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int dup3(int oldfd, int newfd, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int statx(int dirfd, string path, int flags, uint mask, out statx_t buf);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int fstatfs(int fd, byte* buf);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkdirat(int dirfd, string path, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mknodat(int dirfd, string path, uint mode, ulong dev);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int symlinkat(string target, int newdirfd, string linkpath);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial nint readlinkat(int dirfd, string path, byte* buf, nint size);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkfifoat(int dirfd, string path, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int unlinkat(int dirfd, string path, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fchown(int fd, uint owner, uint group);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fchmod(int fd, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int fchownat(int dirfd, string path, uint owner, uint group, int flags);

    [LibraryImport(Libraries.Libc)]
    internal static partial uint umask(uint mask);

    internal static unsafe int openat2(int dirfd, string path, ref open_how how)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        fixed (open_how* h = &how)
            return (int)syscall(SyscallNumbers.openat2, dirfd, (long)p, (long)h, sizeof(open_how), 0, 0);
    }

    internal static int close_range(uint first, uint last, uint flags) =>
        (int)syscall(SyscallNumbers.close_range, first, last, flags, 0, 0, 0);

    internal static SafeFdHandle OpenFd(string path, int flags, uint mode = 0)
    {
        var fd = CheckIo(open(path, flags | O_CLOEXEC, mode), "open", path);
        return new SafeFdHandle(fd);
    }

    internal static SafeFdHandle OpenAt(SafeFdHandle dir, string path, int flags, uint mode = 0)
    {
        var fd = CheckIo(openat(dir.Fd, path, flags | O_CLOEXEC, mode), "openat", path);
        return new SafeFdHandle(fd);
    }

    internal static statx_t Stat(SafeFdHandle fd, string subject)
    {
        CheckIo(statx(fd.Fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID, out var st), "statx", subject);
        return st;
    }

    internal static unsafe long FsType(SafeFdHandle fd, string subject)
    {
        var buf = stackalloc byte[256];
        CheckIo(fstatfs(fd.Fd, buf), "fstatfs", subject);
        return *(long*)buf;
    }

    internal static unsafe string ReadLinkAt(int dirfd, string path)
    {
        var buf = stackalloc byte[4096];
        var n = (int)CheckIo((long)readlinkat(dirfd, path, buf, 4096), "readlink", path);
        return System.Text.Encoding.UTF8.GetString(buf, n);
    }

    internal static unsafe void WriteAll(SafeFdHandle fd, ReadOnlySpan<byte> data, string subject)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = (long)write(fd.Fd, p + done, data.Length - done);
                if (n < 0 && LastErrno == EINTR) continue;
                CheckIo(n, "write", subject);
                done += (int)n;
            }
        }
    }

    internal static unsafe int ReadSome(SafeFdHandle fd, Span<byte> buffer, string subject)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = (long)read(fd.Fd, p, buffer.Length);
                if (n < 0 && LastErrno == EINTR) continue;
                return (int)CheckIo(n, "read", subject);
            }
        }
    }
}
