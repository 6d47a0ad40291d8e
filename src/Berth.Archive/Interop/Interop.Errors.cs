using System.Runtime.InteropServices;
using Berth.Oci.Errors;

namespace Berth.Archive.Interop;

internal static partial class Interop
{
    internal const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13,
        EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENOSPC = 28, EROFS = 30, EMLINK = 31,
        ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, ENODATA = 61, EOPNOTSUPP = 95,
        EDQUOT = 122;

    [LibraryImport(Libraries.Libc, EntryPoint = "strerror")]
    private static partial IntPtr strerror_native(int errnum);

    internal static string StrError(int errno) =>
        Marshal.PtrToStringUTF8(strerror_native(errno)) ?? $"errno {errno}";

    /// <summary>Throws <see cref="SyscallException"/> when <paramref name="result"/> is -1, else returns it.</summary>
    internal static int CheckIo(int result, string call, string? path = null, string? subject = null)
    {
        if (result == -1)
        {
            throw Error(Marshal.GetLastPInvokeError(), call, path, subject);
        }

        return result;
    }

    internal static long CheckIo(long result, string call, string? path = null, string? subject = null)
    {
        if (result == -1)
        {
            throw Error(Marshal.GetLastPInvokeError(), call, path, subject);
        }

        return result;
    }

    internal static SyscallException Error(int errno, string call, string? path = null, string? subject = null) =>
        new(KindOf(errno), errno, call, path, subject);

    private static ErrorKind KindOf(int errno) => errno switch
    {
        ENOENT => ErrorKind.NotFound,
        EEXIST or ENOTEMPTY => ErrorKind.Conflict,
        EPERM or EACCES or EROFS => ErrorKind.PermissionDenied,
        ENOSYS or EOPNOTSUPP => ErrorKind.NotImplemented,
        EINVAL or ENAMETOOLONG or ELOOP or ENOTDIR or EISDIR or EXDEV or EMLINK => ErrorKind.InvalidArgument,
        ENOSPC or EDQUOT or ENOMEM or EAGAIN => ErrorKind.Unavailable,
        EIO => ErrorKind.DataLoss,
        _ => ErrorKind.Internal,
    };
}
