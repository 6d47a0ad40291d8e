using System.Runtime.InteropServices;

namespace Berth.Archive.Interop;

internal static unsafe partial class Interop
{
    // open(2) flags. O_DIRECTORY and O_NOFOLLOW differ between x86-64 and the asm-generic arches (arm64).
    internal const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100,
        O_TRUNC = 0x200, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, O_PATH = 0x200000;

    internal static readonly int O_DIRECTORY = IsX86 ? 0x10000 : 0x4000;
    internal static readonly int O_NOFOLLOW = IsX86 ? 0x20000 : 0x8000;

    private static bool IsX86 => RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;

    internal const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400,
        AT_EMPTY_PATH = 0x1000;

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

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int open(byte* path, int flags, uint mode);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int openat(SafeFdHandle dirfd, byte* path, int flags, uint mode);

    [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall_openat2(long number, SafeFdHandle dirfd, byte* path, open_how* how, nuint size);

    internal static int openat2(SafeFdHandle dirfd, byte* path, open_how* how) =>
        (int)syscall_openat2(SYS_openat2, dirfd, path, how, (nuint)sizeof(open_how));

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int close(int fd);

    // fcntl(2) commands, asm-generic/fcntl.h (the same on every arch).
    internal const int F_DUPFD_CLOEXEC = 1030;

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fcntl(SafeFdHandle fd, int cmd, int arg);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint read(SafeFdHandle fd, byte* buf, nuint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint write(SafeFdHandle fd, byte* buf, nuint count);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint getdents64(SafeFdHandle fd, byte* dirp, nuint count);
}
