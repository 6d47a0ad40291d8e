namespace Berth.Network.Interop;

internal static partial class Interop
{
    internal static class Libraries
    {
        internal const string Libc = "libc.so.6";
        /// <summary>nftables' own library (Debian package nftables), driven through its JSON interface.</summary>
        internal const string Nftables = "libnftables.so.1";
    }
}
