using System.Runtime.InteropServices;

namespace Berth.Network.Interop;

internal static partial class Interop
{
    internal const int CLONE_NEWNET = 0x40000000;
    internal const int O_RDONLY = 0, O_CLOEXEC = 0x80000;

    /// <summary>setns(2): moves the calling thread (only) into the namespace <paramref name="fd"/> refers to. A network
    /// namespace may be joined by one thread of a multi-threaded process (https://man7.org/linux/man-pages/man2/setns.2.html).</summary>
    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int setns(int fd, int nstype);

    [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags);
}
