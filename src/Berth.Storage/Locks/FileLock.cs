using Berth.Storage.Interop;

namespace Berth.Storage.Locks;

/// <summary>A cross-process advisory lock (flock) on a file under the store root. Released on dispose, and by the
/// kernel when the process dies, so a killed berth never leaves a stale lock.</summary>
public sealed class FileLock : IDisposable
{
    private int _fd;

    private FileLock(int fd) => _fd = fd;

    public static FileLock Acquire(string path, bool exclusive, CancellationToken ct)
    {
        int fd = Libc.CheckIo(Libc.open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180), "open", path);
        int op = exclusive ? Libc.LOCK_EX : Libc.LOCK_SH;
        // Poll with LOCK_NB so cancellation (Ctrl-C) is honoured while waiting.
        int delay = 1;
        while (Libc.flock(fd, op | Libc.LOCK_NB) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno is not (Libc.EWOULDBLOCK or Libc.EINTR))
            {
                Libc.close(fd);
                Libc.CheckIo(-1, "flock", path);
            }
            if (ct.IsCancellationRequested) { Libc.close(fd); ct.ThrowIfCancellationRequested(); }
            Thread.Sleep(delay);
            delay = Math.Min(delay * 2, 20);
        }
        return new FileLock(fd);
    }

    public static FileLock? TryAcquire(string path, bool exclusive)
    {
        int fd = Libc.CheckIo(Libc.open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180), "open", path);
        if (Libc.flock(fd, (exclusive ? Libc.LOCK_EX : Libc.LOCK_SH) | Libc.LOCK_NB) == 0) return new FileLock(fd);
        Libc.close(fd);
        return null;
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Libc.close(fd);
    }
}
