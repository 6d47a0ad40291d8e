using System.Runtime.InteropServices;

namespace Berth.Network.Interop;

internal static partial class Interop
{
    internal const int CLONE_NEWNET = 0x40000000;
}
