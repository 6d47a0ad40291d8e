using System.Runtime.InteropServices;
using Berth.Storage.Interop;

namespace Berth.Storage.Files;

/// <summary>File metadata the managed API does not reach (owner, inode, ctime), for the build engine's context
/// hashing and copying. Paths are host paths; nothing here follows a final symlink.</summary>
public static class FileMetadata
{
    /// <summary>lstat(2); false when the path does not exist.</summary>
    public static bool TryLstat(string path, out FileStat stat)
    {
        if (Libc.lstat(path, out var s) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            stat = default;
            if (errno is 2 or 20) return false; // ENOENT, ENOTDIR
            throw new IOException($"lstat {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        stat = new FileStat(s.st_mode, s.st_uid, s.st_gid, s.st_size, s.st_ino, s.st_dev,
            s.st_mtime * 1_000_000_000 + s.st_mtime_nsec, s.st_ctime * 1_000_000_000 + s.st_ctime_nsec, s.st_rdev);
        return true;
    }

    public static void Lchown(string path, uint uid, uint gid) => Libc.CheckIo(Libc.lchown(path, uid, gid), "lchown", path);

    /// <summary>Sets access and modification time of the path itself (a symlink's own times).</summary>
    public static void SetTimes(string path, long mtimeNs)
    {
        var t = new Libc.TimespecPair
        {
            AccessSeconds = Math.DivRem(mtimeNs, 1_000_000_000, out var ns), AccessNanoseconds = ns,
        };
        t.ModifySeconds = t.AccessSeconds;
        t.ModifyNanoseconds = t.AccessNanoseconds;
        if (t.AccessNanoseconds < 0) { t.AccessSeconds--; t.AccessNanoseconds += 1_000_000_000; t.ModifySeconds = t.AccessSeconds; t.ModifyNanoseconds = t.AccessNanoseconds; }
        Libc.CheckIo(Libc.utimensat(Libc.AT_FDCWD, path, in t, Libc.AT_SYMLINK_NOFOLLOW), "utimensat", path);
    }
}
