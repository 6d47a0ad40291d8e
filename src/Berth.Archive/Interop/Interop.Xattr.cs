using System.Runtime.InteropServices;

namespace Berth.Archive.Interop;

internal static unsafe partial class Interop
{
    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int fsetxattr(SafeFdHandle fd, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int lsetxattr(byte* path, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint flistxattr(SafeFdHandle fd, byte* list, nuint size);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint llistxattr(byte* path, byte* list, nuint size);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint fgetxattr(SafeFdHandle fd, byte* name, byte* value, nuint size);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial nint lgetxattr(byte* path, byte* name, byte* value, nuint size);
}
