using System.Runtime.InteropServices;
using Berth.Interop;
using static Berth.Interop.Libc;

namespace Berth.Runtime.Interop;

internal static partial class Interop
{
    /// <summary>Numbers of calls glibc does not wrap (or wraps with process-wide semantics we do not want).</summary>
    internal static class SyscallNumbers
    {
        private static readonly bool Arm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

        // Common to every architecture since the syscall table unification (5.x).
        internal const long pidfd_send_signal = 424, pidfd_open = 434, close_range = 436, openat2 = 437;

        // Per-architecture (arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h).
        internal static long pivot_root => Arm64 ? 41 : 155;
        internal static long setresuid => Arm64 ? 147 : 117;
        internal static long setresgid => Arm64 ? 149 : 119;
        internal static long setgroups => Arm64 ? 159 : 116;
        internal static long bpf => Arm64 ? 280 : 321;
    }

    [LibraryImport(Libraries.Libc, SetLastError = true)]
    internal static partial long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);
}
