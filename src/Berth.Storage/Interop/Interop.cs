using System.Runtime.InteropServices;
using Berth.Oci.Errors;

namespace Berth.Storage.Interop;

/// <summary>The few libc calls the store needs: durable renames and cross-process locks.</summary>
internal static partial class Libc
{
    private const string Lib = "libc";

    public const int O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000, O_RDWR = 2, O_CREAT = 0x40;
    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
    public const int EINTR = 4, EWOULDBLOCK = 11;

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fsync(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int syncfs(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int flock(int fd, int operation);

    /// <summary>struct stat on x86_64 (144 bytes); only the fields the store reads are named.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stat
    {
        public ulong st_dev, st_ino, st_nlink;
        public uint st_mode, st_uid, st_gid, __pad0;
        public ulong st_rdev;
        public long st_size, st_blksize, st_blocks;
        public long st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
        public long __reserved0, __reserved1, __reserved2;
    }

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lstat(string path, out Stat buf);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fstat(int fd, out Stat buf);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlink(string path);

    public static int CheckIo(int result, string call, string path)
    {
        if (result < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new BerthException(ErrorKind.Internal, $"{call} {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
        return result;
    }

    /// <summary>fsync a directory so a rename inside it survives a power cut.</summary>
    public static void FsyncDirectory(string dir)
    {
        int fd = CheckIo(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), "open", dir);
        try { CheckIo(fsync(fd), "fsync", dir); }
        finally { close(fd); }
    }

    /// <summary>Flush every dirty page of the filesystem holding <paramref name="path"/>: one call instead of an
    /// fsync per file when a load writes thousands of files.</summary>
    public static void SyncFilesystem(string path)
    {
        int fd = CheckIo(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), "open", path);
        try { CheckIo(syncfs(fd), "syncfs", path); }
        finally { close(fd); }
    }
}
