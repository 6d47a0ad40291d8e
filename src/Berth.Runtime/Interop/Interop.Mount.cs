using System.Runtime.InteropServices;
using Berth.Interop;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16,
        MS_REMOUNT = 32, MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOSYMFOLLOW = 256, MS_NOATIME = 1024,
        MS_NODIRATIME = 2048, MS_BIND = 4096, MS_MOVE = 8192, MS_REC = 16384, MS_SILENT = 32768,
        MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20,
        MS_RELATIME = 1 << 21, MS_STRICTATIME = 1 << 24, MS_LAZYTIME = 1 << 25;

    internal const int MNT_FORCE = 1, MNT_DETACH = 2, MNT_EXPIRE = 4, UMOUNT_NOFOLLOW = 8;

    internal const long PROC_SUPER_MAGIC = 0x9fa0, TMPFS_MAGIC = 0x01021994, SYSFS_MAGIC = 0x62656572;

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mount(string? source, string target, string? filesystemtype, ulong mountflags, string? data);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int umount2(string target, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chdir(string path);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fchdir(int fd);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial byte* getcwd(byte* buf, nint size);

    internal static unsafe int pivot_root(string newRoot, string putOld)
    {
        var a = System.Text.Encoding.UTF8.GetBytes(newRoot + "\0");
        var b = System.Text.Encoding.UTF8.GetBytes(putOld + "\0");
        fixed (byte* pa = a)
        fixed (byte* pb = b)
            return (int)syscall(SyscallNumbers.pivot_root, (long)pa, (long)pb, 0, 0, 0, 0);
    }

    internal static unsafe string? GetCwd()
    {
        var buf = stackalloc byte[4096];
        var p = getcwd(buf, 4096);
        return p == null ? null : Marshal.PtrToStringUTF8((nint)p);
    }
}
