using System.Runtime.InteropServices;
using Berth.Oci.Errors;

namespace Berth.Network.Interop;

internal static partial class Interop
{
    internal const int ENOENT = 2, ESRCH = 3, EEXIST = 17, ENODEV = 19, EADDRNOTAVAIL = 99;

    [LibraryImport(Libraries.Libc, EntryPoint = "strerror")]
    private static partial nint strerror_native(int errnum);

    internal static string StrError(int errno)
    {
        var p = strerror_native(errno);
        return p == 0 ? $"errno {errno}" : Marshal.PtrToStringUTF8(p) ?? $"errno {errno}";
    }

    /// <summary>Throws a <see cref="BerthException"/> naming the call and errno when a libc call returned -1.</summary>
    internal static int CheckIo(int result, string call, string? subject = null)
    {
        if (result >= 0) return result;
        var errno = Marshal.GetLastPInvokeError();
        throw new BerthException(ErrorKind.Internal, $"{call}{(subject is null ? "" : " " + subject)}: {StrError(errno)}");
    }
}
