using Berth.Oci.Errors;
using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;
using Berth.Interop;

namespace Berth.Storage.Locks;

/// <summary>A cross-process advisory lock (flock) on a file under the store root. Released on dispose, and by the
/// kernel when the process dies, so a killed berth never leaves a stale lock.
/// <para>A lock file may be deleted by a holder (<see cref="DeleteFile"/>, when what it guards is gone): a waiter
/// that then gets the lock on the unlinked file notices that the path no longer names it and locks the path
/// afresh, so two processes never both believe they hold the lock.</para></summary>
public sealed class FileLock : IDisposable
{
    private int _fd;
    private readonly bool _ownsFd;

    private FileLock(int fd, string path, bool ownsFd)
    {
        _fd = fd;
        Path = path;
        _ownsFd = ownsFd;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>The locked descriptor, to hand to a child process: the child then shares this very lock (flock
    /// belongs to the open file description), and it is released only once both have closed it.</summary>
    public SafeHandle Handle => new SafeFileHandle(_fd, ownsHandle: false);

    public static FileLock Acquire(string path, bool exclusive, CancellationToken ct)
    {
        int op = exclusive ? Libc.LOCK_EX : Libc.LOCK_SH;
        while (true)
        {
            int fd = Open(path);
            // Poll with LOCK_NB so cancellation (Ctrl-C) is honoured while waiting.
            int delay = 1;
            while (Libc.flock(fd, op | Libc.LOCK_NB) != 0)
            {
                int errno = Errno.Last;
                if (errno is not (Errno.EWOULDBLOCK or Errno.EINTR))
                {
                    Libc.close(fd);
                    Errno.CheckIo(-1, "flock", path);
                }
                if (ct.IsCancellationRequested) { Libc.close(fd); ct.ThrowIfCancellationRequested(); }
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 20);
            }
            if (StillNamed(fd, path)) return new FileLock(fd, path, ownsFd: true);
            Libc.close(fd);
        }
    }

    public static FileLock? TryAcquire(string path, bool exclusive)
    {
        while (true)
        {
            int fd = Open(path);
            if (Libc.flock(fd, (exclusive ? Libc.LOCK_EX : Libc.LOCK_SH) | Libc.LOCK_NB) != 0)
            {
                Libc.close(fd);
                return null;
            }
            if (StillNamed(fd, path)) return new FileLock(fd, path, ownsFd: true);
            Libc.close(fd);
        }
    }

    /// <summary>The lock a parent process holds on <paramref name="path"/> and passed to this process as descriptor
    /// <paramref name="fd"/> (see <see cref="Handle"/>). Checked to be that file; disposing it does not close the
    /// descriptor, which the process gives up by replacing it.</summary>
    public static FileLock Inherited(int fd, string path)
    {
        if (!StillNamed(fd, path)) throw new BerthException(ErrorKind.Internal, $"descriptor {fd} is not the lock {path}");
        return new FileLock(fd, path, ownsFd: false);
    }

    /// <summary>Deletes the lock file, while holding it: what it guarded is gone. Waiters lock the path afresh.</summary>
    public void DeleteFile()
    {
        if (Libc.unlink(Path) != 0 && Errno.Last != Errno.ENOENT) Errno.CheckIo(-1, "unlink", Path);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0 && _ownsFd) Libc.close(fd);
    }

    private static int Open(string path) => Errno.CheckIo(Libc.open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180), "open", path);

    /// <summary>Whether <paramref name="path"/> still names the file open as <paramref name="fd"/> (a holder may
    /// have deleted it while we waited).</summary>
    private static bool StillNamed(int fd, string path) =>
        Statx.TryOf(fd, out var open) == 0 && Statx.TryOfPath(path, out var named) == 0 && open.Inode == named.Inode && open.Device == named.Device;
}
