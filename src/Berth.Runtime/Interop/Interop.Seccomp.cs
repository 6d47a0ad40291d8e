// C names on purpose: these declarations read like the man pages they come from.
#pragma warning disable CS8981

using System.Runtime.InteropServices;
using Berth.Interop;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Interop;

/// <summary>libseccomp (seccomp.h), the compiler runc and crun use for filters.</summary>
internal static partial class Interop
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct scmp_arg_cmp
    {
        public uint arg;
        public int op;
        public ulong datum_a;
        public ulong datum_b;
    }

    internal const uint SCMP_ACT_KILL_PROCESS = 0x80000000, SCMP_ACT_KILL_THREAD = 0x00000000, SCMP_ACT_TRAP = 0x00030000,
        SCMP_ACT_ERRNO_BASE = 0x00050000, SCMP_ACT_TRACE_BASE = 0x7ff00000, SCMP_ACT_LOG = 0x7ffc0000,
        SCMP_ACT_ALLOW = 0x7fff0000, SCMP_ACT_NOTIFY = 0x7fc00000;

    internal const int SCMP_FLTATR_CTL_NNP = 3, SCMP_FLTATR_CTL_TSYNC = 4, SCMP_FLTATR_CTL_LOG = 6,
        SCMP_FLTATR_CTL_SSB = 7;

    [LibraryImport(Libraries.Seccomp)]
    internal static partial nint seccomp_init(uint defAction);

    [LibraryImport(Libraries.Seccomp)]
    internal static partial void seccomp_release(nint ctx);

    [LibraryImport(Libraries.Seccomp)]
    internal static partial int seccomp_arch_add(nint ctx, uint archToken);

    [LibraryImport(Libraries.Seccomp)]
    internal static partial uint seccomp_arch_native();

    [LibraryImport(Libraries.Seccomp, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint seccomp_arch_resolve_name(string archName);

    [LibraryImport(Libraries.Seccomp, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int seccomp_syscall_resolve_name(string name);

    [LibraryImport(Libraries.Seccomp)]
    internal static unsafe partial int seccomp_rule_add_array(nint ctx, uint action, int syscall, uint argCount, scmp_arg_cmp* args);

    [LibraryImport(Libraries.Seccomp)]
    internal static partial int seccomp_attr_set(nint ctx, int attr, uint value);

    [LibraryImport(Libraries.Seccomp)]
    internal static partial int seccomp_load(nint ctx);

    internal const int __NR_SCMP_ERROR = -1;
}
