using System.Runtime.InteropServices;
using Berth.Interop;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal const int MADV_DONTNEED = 4;

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int madvise(nint address, nuint length, int advice);

    [LibraryImport(Libraries.Libc)]
    internal static partial int malloc_trim(nuint pad);
}
