namespace Berth.Interop;

/// <summary>The native libraries berth calls, by soname.</summary>
internal static class Libraries
{
    // The soname, not "libc": on Debian "libc.so" is a linker script, and an exact soname is matched against the
    // already-loaded object by dlopen, so a late first call never searches a container's filesystem (P3).
    internal const string Libc = "libc.so.6";
    internal const string Seccomp = "libseccomp.so.2";
    /// <summary>nftables' own library (Debian package nftables), driven through its JSON interface.</summary>
    internal const string Nftables = "libnftables.so.1";
}
