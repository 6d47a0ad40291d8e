using Berth.Interop;

namespace Berth.Storage.Files;

/// <summary>File metadata the managed API does not reach (owner, inode, ctime), for the build engine's context
/// hashing and copying. Paths are host paths; nothing here follows a final symlink.</summary>
public static unsafe class FileMetadata
{
    /// <summary>statx(2) of the path itself (as lstat); false when the path does not exist.</summary>
    public static bool TryLstat(string path, out FileStat stat)
    {
        int errno = Statx.TryOfPath(path, out var s);
        if (errno != 0)
        {
            stat = default;
            if (errno is Errno.ENOENT or Errno.ENOTDIR) return false;
            throw new IOException($"lstat {path}: {Errno.Describe(errno)}");
        }
        stat = new FileStat(s.Mode, s.Uid, s.Gid, s.Size, s.Inode, s.Device,
            s.MtimeSeconds * 1_000_000_000 + s.MtimeNanoseconds, s.CtimeSeconds * 1_000_000_000 + s.CtimeNanoseconds, s.Rdev);
        return true;
    }

    public static void Lchown(string path, uint uid, uint gid) => Errno.CheckIo(Libc.lchown(path, uid, gid), "lchown", path);

    /// <summary>Sets access and modification time of the path itself (a symlink's own times).</summary>
    public static void SetTimes(string path, long mtimeNs)
    {
        var seconds = Math.DivRem(mtimeNs, 1_000_000_000, out var ns);
        if (ns < 0) { seconds--; ns += 1_000_000_000; }
        var times = stackalloc Libc.Timespec[2];
        times[0] = new Libc.Timespec { tv_sec = seconds, tv_nsec = ns };
        times[1] = times[0];
        Errno.CheckIo(Libc.utimensat(Libc.AT_FDCWD, path, times, Libc.AT_SYMLINK_NOFOLLOW), "utimensat", path);
    }
}
