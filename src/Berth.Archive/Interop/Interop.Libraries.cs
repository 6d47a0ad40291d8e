namespace Berth.Archive.Interop;

internal static partial class Interop
{
    internal static class Libraries
    {
        // glibc exports every symbol we need from libc.so.6; the runtime's probing finds it under "libc".
        internal const string Libc = "libc";
    }
}
