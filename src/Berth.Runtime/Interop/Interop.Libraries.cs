namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal static class Libraries
    {
        // The soname, not "libc": on Debian "libc.so" is a linker script, and an exact soname is matched against
        // the already-loaded object by dlopen, so a late first call never searches a container's filesystem (P3).
        internal const string Libc = "libc.so.6";
        internal const string Seccomp = "libseccomp.so.2";
    }
}
