// C names on purpose: these declarations read like the man pages they come from.
#pragma warning disable CS8981

using System.Runtime.InteropServices;

namespace Berth.Interop;

/// <summary>
/// The C library's file, descriptor and directory calls every layer shares. Two forms where callers differ: raw
/// byte names with a <see cref="SafeFdHandle"/> (archive code: Linux names need not be UTF-8) and UTF-8 strings
/// with a raw descriptor (the runtime). Calls that belong to one domain (mount, seccomp, netlink, nftables,
/// terminals, processes) stay in their layer's Interop, on top of <see cref="Errno"/> and <see cref="SafeFdHandle"/>.
/// </summary>
internal static unsafe partial class Libc
{
    // open(2) flags. O_DIRECTORY and O_NOFOLLOW differ between x86-64 and the asm-generic arches (arm64).
    internal const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100,
        O_TRUNC = 0x200, O_APPEND = 0x400, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, O_PATH = 0x200000;

    internal static readonly int O_DIRECTORY = IsX86 ? 0x10000 : 0x4000;
    internal static readonly int O_NOFOLLOW = IsX86 ? 0x20000 : 0x8000;

    private static bool IsX86 => RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;

    internal const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400,
        AT_EMPTY_PATH = 0x1000;

    // fcntl(2) commands, asm-generic/fcntl.h (the same on every arch).
    internal const int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1, F_DUPFD_CLOEXEC = 1030,
        F_SETPIPE_SZ = 1031;

    internal const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    internal const uint S_IFMT = FileStatus.S_IFMT, S_IFSOCK = FileStatus.S_IFSOCK, S_IFLNK = FileStatus.S_IFLNK,
        S_IFREG = FileStatus.S_IFREG, S_IFBLK = FileStatus.S_IFBLK, S_IFDIR = FileStatus.S_IFDIR,
        S_IFCHR = FileStatus.S_IFCHR, S_IFIFO = FileStatus.S_IFIFO;

    internal const long UTIME_OMIT = (1L << 30) - 2;

    // openat2(2) resolve flags, linux/openat2.h.
    internal const ulong RESOLVE_NO_XDEV = 0x01, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04,
        RESOLVE_BENEATH = 0x08, RESOLVE_IN_ROOT = 0x10;

    // openat2 has no glibc wrapper. 437 is its number on every arch (the unified table since Linux 5.1).
    internal const long SYS_openat2 = 437;

    [StructLayout(LayoutKind.Sequential)]
    internal struct open_how
    {
        public ulong flags;
        public ulong mode;
        public ulong resolve;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long tv_sec;
        public long tv_nsec;
    }

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int open(byte* path, int flags, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int openat(SafeFdHandle dirfd, byte* path, int flags, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int openat(int dirfd, string path, int flags, uint mode);

    [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall_openat2(long number, nint dirfd, byte* path, open_how* how, nuint size);

    internal static int openat2(SafeFdHandle dirfd, byte* path, open_how* how)
    {
        bool added = false;
        try
        {
            dirfd.DangerousAddRef(ref added);
            return (int)syscall_openat2(SYS_openat2, dirfd.DangerousGetHandle(), path, how, (nuint)sizeof(open_how));
        }
        finally
        {
            if (added) dirfd.DangerousRelease();
        }
    }

    internal static int openat2(int dirfd, string path, ref open_how how)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        fixed (open_how* h = &how)
            return (int)syscall_openat2(SYS_openat2, dirfd, p, h, (nuint)sizeof(open_how));
    }

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fcntl(SafeFdHandle fd, int cmd, int arg);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint read(SafeFdHandle fd, byte* buf, nuint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint write(SafeFdHandle fd, byte* buf, nuint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int dup(int fd);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int dup3(int oldfd, int newfd, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int pipe2(int* fds, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint getdents64(SafeFdHandle fd, byte* dirp, nuint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fsync(int fd);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int syncfs(int fd);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int flock(int fd, int operation);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fstatfs(int fd, byte* buf);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int mkdirat(SafeFdHandle dirfd, byte* path, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkdirat(int dirfd, string path, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int mknodat(SafeFdHandle dirfd, byte* path, uint mode, ulong dev);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mknodat(int dirfd, string path, uint mode, ulong dev);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkfifoat(int dirfd, string path, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int symlinkat(byte* target, SafeFdHandle newdirfd, byte* linkpath);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int symlinkat(string target, int newdirfd, string linkpath);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int linkat(SafeFdHandle olddirfd, byte* oldpath, SafeFdHandle newdirfd, byte* newpath, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int unlinkat(SafeFdHandle dirfd, byte* path, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int unlinkat(int dirfd, string path, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int unlink(string path);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint readlinkat(SafeFdHandle dirfd, byte* path, byte* buf, nuint size);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint readlinkat(int dirfd, string path, byte* buf, nint size);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fchownat(SafeFdHandle dirfd, byte* path, uint owner, uint group, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int fchownat(int dirfd, string path, uint owner, uint group, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fchown(SafeFdHandle fd, uint owner, uint group);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fchown(int fd, uint owner, uint group);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chown(string path, int owner, int group);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int lchown(string path, uint owner, uint group);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fchmod(SafeFdHandle fd, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fchmod(int fd, uint mode);

    [LibraryImport(Libraries.Libc)]
    internal static partial uint umask(uint mask);

    /// <summary>mallopt(3)'s M_ARENA_MAX: the most malloc arenas glibc makes (by default 8 per core: a thread that
    /// finds the arenas busy gets one of its own, kept for good).</summary>
    internal const int M_ARENA_MAX = -8;

    [LibraryImport(Libraries.Libc)]
    internal static partial int mallopt(int param, int value);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int utimensat(SafeFdHandle dirfd, byte* path, Timespec* times, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int utimensat(int dirfd, string path, Timespec* times, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int futimens(SafeFdHandle fd, Timespec* times);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fsetxattr(SafeFdHandle fd, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int lsetxattr(byte* path, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint flistxattr(SafeFdHandle fd, byte* list, nuint size);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint llistxattr(byte* path, byte* list, nuint size);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint fgetxattr(SafeFdHandle fd, byte* name, byte* value, nuint size);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint lgetxattr(byte* path, byte* name, byte* value, nuint size);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int socket(int domain, int type, int protocol);

    /// <summary>setns(2): moves the calling thread (only) into the namespace <paramref name="fd"/> refers to.</summary>
    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int setns(int fd, int nstype);

    internal const short POLLIN = 1;
    internal const int EFD_CLOEXEC = 0x80000;

    [StructLayout(LayoutKind.Sequential)]
    internal struct pollfd
    {
        public int fd;
        public short events;
        public short revents;
    }

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int poll(pollfd* fds, nuint nfds, int timeout);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int eventfd(uint initval, int flags);

    /// <summary>makedev(3) as glibc encodes it.</summary>
    internal static ulong makedev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    /// <summary>fsync a directory so a rename inside it survives a power cut.</summary>
    internal static void FsyncDirectory(string dir)
    {
        int fd = Errno.CheckIo(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), "open", dir);
        try { Errno.CheckIo(fsync(fd), "fsync", dir); }
        finally { close(fd); }
    }

    /// <summary>Flush every dirty page of the filesystem holding <paramref name="path"/>: one call instead of an
    /// fsync per file when a load writes thousands of files.</summary>
    internal static void SyncFilesystem(string path)
    {
        int fd = Errno.CheckIo(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), "open", path);
        try { Errno.CheckIo(syncfs(fd), "syncfs", path); }
        finally { close(fd); }
    }
}
