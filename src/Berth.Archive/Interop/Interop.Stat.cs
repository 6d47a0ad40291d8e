using System.Runtime.InteropServices;

namespace Berth.Archive.Interop;

internal static unsafe partial class Interop
{
    internal const uint S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFLNK = 0xA000, S_IFREG = 0x8000, S_IFBLK = 0x6000,
        S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;

    internal const uint STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_NLINK = 0x4, STATX_UID = 0x8, STATX_GID = 0x10,
        STATX_MTIME = 0x40, STATX_INO = 0x100, STATX_SIZE = 0x200, STATX_BASIC_STATS = 0x7ff;

    internal const long UTIME_OMIT = (1L << 30) - 2;

    [StructLayout(LayoutKind.Sequential)]
    internal struct statx_timestamp
    {
        public long tv_sec;
        public uint tv_nsec;
        private int __reserved;
    }

    /// <summary>struct statx: one layout on every arch, unlike struct stat.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct statx_t
    {
        public uint stx_mask;
        public uint stx_blksize;
        public ulong stx_attributes;
        public uint stx_nlink;
        public uint stx_uid;
        public uint stx_gid;
        public ushort stx_mode;
        private ushort __spare0;
        public ulong stx_ino;
        public ulong stx_size;
        public ulong stx_blocks;
        public ulong stx_attributes_mask;
        public statx_timestamp stx_atime;
        public statx_timestamp stx_btime;
        public statx_timestamp stx_ctime;
        public statx_timestamp stx_mtime;
        public uint stx_rdev_major;
        public uint stx_rdev_minor;
        public uint stx_dev_major;
        public uint stx_dev_minor;
        private fixed ulong __spare2[14];
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long tv_sec;
        public long tv_nsec;
    }

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int statx(SafeFdHandle dirfd, byte* path, int flags, uint mask, statx_t* buf);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int mkdirat(SafeFdHandle dirfd, byte* path, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int mknodat(SafeFdHandle dirfd, byte* path, uint mode, ulong dev);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int symlinkat(byte* target, SafeFdHandle newdirfd, byte* linkpath);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int linkat(SafeFdHandle olddirfd, byte* oldpath, SafeFdHandle newdirfd, byte* newpath, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int unlinkat(SafeFdHandle dirfd, byte* path, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint readlinkat(SafeFdHandle dirfd, byte* path, byte* buf, nuint size);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fchownat(SafeFdHandle dirfd, byte* path, uint owner, uint group, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fchown(SafeFdHandle fd, uint owner, uint group);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fchmod(SafeFdHandle fd, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int utimensat(SafeFdHandle dirfd, byte* path, Timespec* times, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int futimens(SafeFdHandle fd, Timespec* times);

    /// <summary>makedev(3) as glibc encodes it.</summary>
    internal static ulong makedev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
}
