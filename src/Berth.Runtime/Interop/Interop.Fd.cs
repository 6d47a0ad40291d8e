// C names on purpose: these declarations read like the man pages they come from.
#pragma warning disable CS8981

using System.Runtime.InteropServices;
using Berth.Interop;
using static Berth.Interop.Errno;
using static Berth.Interop.Libc;
using static Berth.Interop.Statx;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal const uint CLOSE_RANGE_CLOEXEC = 4;

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
                if (n < 0 && Last == EINTR) continue;
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
                if (n < 0 && Last == EINTR) continue;
                return (int)CheckIo(n, "read", subject);
            }
        }
    }
}
