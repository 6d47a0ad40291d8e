using System.Runtime.InteropServices;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EBADF = 9, ECHILD = 10, EAGAIN = 11,
        ENOMEM = 12, EACCES = 13, EBUSY = 16, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EINVAL = 22,
        ENOTTY = 25, ETXTBSY = 26, ENOSPC = 28, EROFS = 30, EPIPE = 32, ENAMETOOLONG = 36, ENOSYS = 38,
        ENOTEMPTY = 39, ELOOP = 40, ENOEXEC = 8, EOPNOTSUPP = 95;

    [LibraryImport(Libraries.Libc, EntryPoint = "strerror")]
    private static partial nint strerror_native(int errnum);

    internal static string StrError(int errno)
    {
        var p = strerror_native(errno);
        return p == 0 ? $"errno {errno}" : Marshal.PtrToStringUTF8(p) ?? $"errno {errno}";
    }

    /// <summary>Throws <see cref="SyscallException"/> when a libc call returned -1; passes the result through otherwise.</summary>
    internal static int CheckIo(int result, string call, string? subject = null)
    {
        if (result < 0) throw new SyscallException(call, Marshal.GetLastPInvokeError(), subject);
        return result;
    }

    internal static long CheckIo(long result, string call, string? subject = null)
    {
        if (result < 0) throw new SyscallException(call, Marshal.GetLastPInvokeError(), subject);
        return result;
    }

    internal static int LastErrno => Marshal.GetLastPInvokeError();
}
