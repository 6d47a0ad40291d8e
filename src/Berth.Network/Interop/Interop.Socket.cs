using System.Runtime.InteropServices;
using Berth.Interop;

namespace Berth.Network.Interop;

internal static partial class Interop
{
    internal const int AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000, NETLINK_ROUTE = 0;
    internal const int SOL_NETLINK = 270, NETLINK_EXT_ACK = 11;

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial nint send(int fd, byte* buf, nint len, int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial nint recv(int fd, byte* buf, nint len, int flags);
}
