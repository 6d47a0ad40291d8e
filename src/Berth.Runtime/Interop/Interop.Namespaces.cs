using System.Runtime.InteropServices;
using Berth.Interop;
using static Berth.Interop.Errno;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    internal const int CLONE_NEWTIME = 0x80, CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400,
        CLONE_NEWNS = 0x20000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000, CLONE_NEWIPC = 0x08000000,
        CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial int unshare(int flags);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int sethostname(byte* name, nint len);

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static unsafe partial int setdomainname(byte* name, nint len);

    internal static unsafe void SetHostname(string name)
    {
        var b = System.Text.Encoding.UTF8.GetBytes(name);
        fixed (byte* p = b) CheckIo(sethostname(p, b.Length), "sethostname", name);
    }

    internal static unsafe void SetDomainname(string name)
    {
        var b = System.Text.Encoding.UTF8.GetBytes(name);
        fixed (byte* p = b) CheckIo(setdomainname(p, b.Length), "setdomainname", name);
    }
}
