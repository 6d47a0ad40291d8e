// C names on purpose: these declarations read like the man pages they come from.
#pragma warning disable CS8981

using System.Runtime.InteropServices;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal const int AF_INET = 2, SOCK_DGRAM = 2, IFF_UP = 0x1, IFNAMSIZ = 16;
    internal const ulong SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;

    /// <summary>struct ifreq (netdevice(7)) with the ifr_flags member of its union; 40 bytes on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    internal unsafe struct ifreq
    {
        [FieldOffset(0)] public fixed byte ifr_name[IFNAMSIZ];
        [FieldOffset(16)] public short ifr_flags;
    }
}
