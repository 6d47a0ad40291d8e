using System.Runtime.InteropServices;
using Berth.Oci.Errors;

namespace Berth.Interop;

/// <summary>
/// The one errno table of berth (asm-generic/errno-base.h and errno.h: the same numbers on every Linux arch) and
/// the one map from an errno to the <see cref="ErrorKind"/> every front end turns into an exit code or a status.
/// </summary>
public static partial class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, ENOEXEC = 8, EBADF = 9,
        ECHILD = 10, EAGAIN = 11, EWOULDBLOCK = EAGAIN, ENOMEM = 12, EACCES = 13, EBUSY = 16, EEXIST = 17, EXDEV = 18,
        ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, EMFILE = 24, ENOTTY = 25, ETXTBSY = 26, EFBIG = 27,
        ENOSPC = 28, EROFS = 30, EMLINK = 31, EPIPE = 32, ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38,
        ENOTEMPTY = 39, ELOOP = 40, ENODATA = 61, EOPNOTSUPP = 95, EADDRINUSE = 98, EADDRNOTAVAIL = 99,
        EDQUOT = 122;

    /// <summary>The errno of the last P/Invoke declared with <c>SetLastError = true</c> on this thread.</summary>
    public static int Last => Marshal.GetLastPInvokeError();

    /// <summary>What a caller makes of a failed call: not found, already exists or in use (conflict), refused,
    /// not supported, a bad argument, out of a resource, an I/O error; anything else is internal.</summary>
    public static ErrorKind KindOf(int errno) => errno switch
    {
        ENOENT or ESRCH or ENXIO or ENODEV => ErrorKind.NotFound,
        EEXIST or ENOTEMPTY or EBUSY or ETXTBSY or EADDRINUSE => ErrorKind.Conflict,
        EPERM or EACCES or EROFS => ErrorKind.PermissionDenied,
        ENOSYS or EOPNOTSUPP => ErrorKind.NotImplemented,
        EINVAL or ENAMETOOLONG or ELOOP or ENOTDIR or EISDIR or EXDEV or EMLINK or ERANGE or EFBIG => ErrorKind.InvalidArgument,
        ENOSPC or EDQUOT or ENOMEM or EAGAIN or EMFILE => ErrorKind.Unavailable,
        EIO => ErrorKind.DataLoss,
        _ => ErrorKind.Internal,
    };

    /// <summary>strerror(3): the C library's text for <paramref name="errno"/>.</summary>
    public static string Describe(int errno)
    {
        var p = strerror(errno);
        return p == 0 ? $"errno {errno}" : Marshal.PtrToStringUTF8(p) ?? $"errno {errno}";
    }

    /// <summary>Throws <see cref="SyscallException"/> when a libc call returned -1 (or any negative value); passes
    /// the result through otherwise.</summary>
    public static int CheckIo(int result, string call, string? path = null, string? subject = null) =>
        result < 0 ? throw new SyscallException(Last, call, path, subject) : result;

    public static long CheckIo(long result, string call, string? path = null, string? subject = null) =>
        result < 0 ? throw new SyscallException(Last, call, path, subject) : result;

    [LibraryImport(Libraries.Libc)]
    private static partial nint strerror(int errnum);
}
